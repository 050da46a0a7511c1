"""An incremental run: each kind that has ``on_incremental_resync`` handlers fetches only
what changed since its cursor, and what it yields is upserted; nothing is deleted.

Cursor rules, as the original's (``sync_incremental``):

- one cursor per integration, kind and resource index, kept in the catalog
  (:class:`~ocean.store.base.KeepsCursors`);
- the next cursor is the time the run started, so that what changes while it fetches is
  fetched again next time;
- it is saved only when the kind completed cleanly: a failed, aborted or killed run leaves
  the old cursor, so the next run fetches the same changes again and nothing is skipped;
- a kind with no cursor yet starts ``seed_minutes`` before the run (the original seeds with
  the incremental interval).

A full resync (:mod:`ocean.resync`) still runs on schedule or on demand, fetches everything
and deletes stale entities; it leaves the cursors as they are.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging

from ocean.errors import ConfigError
from ocean.extract.cursor import cursor_scope
from ocean.job import ResyncJob, Tally
from ocean.monitor import log_lines
from ocean.monitor.report import KindReport, ResyncReport
from ocean.resync import recorded, succeeded, sync_kind
from ocean.store.base import KeepsCursors, iso_at, now_iso
from ocean.transform.mapper import CompiledResource

_log = logging.getLogger(__name__)


async def run_incremental(
    job: ResyncJob, *, seed_minutes: float, trigger: str = "incremental"
) -> ResyncReport:
    """Run one incremental sync of the kinds that have incremental handlers, and record it."""
    cursors = job.store
    if not isinstance(cursors, KeepsCursors):
        raise ConfigError(
            "this catalog keeps no incremental-sync cursors: run a full resync, or sync into "
            "the embedded catalog, PostgreSQL or a Port API"
        )
    job = dataclasses.replace(job, incremental=True, skip_unchanged_pages=False)
    resources = [r for r in job.resources if job.integration.incremental_handlers_for(r.kind)]
    report = ResyncReport(integration=job.owner.identifier, trigger=trigger,
                          started_at=now_iso(), mode="incremental")  # fmt: skip
    tally = Tally(blueprints={bp["identifier"]: bp for bp in await job.store.list_blueprints()})
    log_lines.resync_started(report, len(resources))
    started = _parsed(report.started_at)
    assert started is not None

    async def work() -> None:
        for resource in resources:
            kind = KindReport(kind=resource.kind, index=resource.index)
            report.kinds.append(kind)
            await _sync(job, cursors, resource, kind, tally, started, seed_minutes)
        report.status = "completed" if succeeded(report) else "failed"

    if not resources:
        _log.info("no kind of the mapping has an on_incremental_resync handler: nothing to do")
    return await recorded(job, report, work)


async def _sync(
    job: ResyncJob,
    cursors: KeepsCursors,
    resource: CompiledResource,
    kind: KindReport,
    tally: Tally,
    started: dt.datetime,
    seed_minutes: float,
) -> None:
    """One kind since its cursor; its cursor advances to ``started`` if it completed."""
    integration = job.owner.identifier
    stored = await cursors.get_cursor(integration, resource.kind, resource.index)
    since = _parsed(stored) or started - dt.timedelta(minutes=seed_minutes)
    kind.cursor_from = kind.cursor = iso_at(since)
    job.observer.kind_started(kind)
    with cursor_scope(since):
        await sync_kind(job, resource, kind, tally)
    job.observer.kind_finished(kind)
    log_lines.kind_finished(kind)
    if kind.status == "completed":
        await cursors.save_cursor(integration, resource.kind, resource.index, iso_at(started))
        kind.cursor = iso_at(started)
    else:  # a first run's seed is kept, or the next run would seed from its own start
        kind.cursor = stored or iso_at(since)  # and never fetch this run's window
        if stored is None:
            await cursors.save_cursor(integration, resource.kind, resource.index, kind.cursor)
        _log.error(
            "incremental sync of %s failed: its cursor stays at %s and the next run fetches "
            "the same changes again",
            resource.kind,
            kind.cursor,
        )


def _parsed(text: str | None) -> dt.datetime | None:
    if not text:
        return None
    moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)
