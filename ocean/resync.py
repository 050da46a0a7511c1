"""One resync: the hooks, each kind's pages through extract -> transform -> load
(:mod:`ocean.kind_sync`), then stale deletion, recorded as a run.

Nothing here reaches for global state: the integration, mapping, store and owner come in
as a :class:`ResyncJob`, and a :class:`ResyncReport` comes out.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

from ocean.errors import LeaseLostError, ResyncAbortedError
from ocean.integration import run_hooks
from ocean.job import ResyncJob, Tally
from ocean.kind_sync import CANCELLED_INSIDE, sync_pages
from ocean.load.deletion import (
    DeletionPlan,
    Graph,
    Stale,
    plan_deletion,
)
from ocean.load.missing_targets import HeldForTargets
from ocean.load.shrinkage import shape_of, weigh
from ocean.load.stale_deletes import delete_planned
from ocean.load.under_way import stopping
from ocean.mapped_fields import required_fields, undefined_fields
from ocean.monitor import log_lines
from ocean.monitor.report import KindReport, ResyncReport, tell_stopped
from ocean.monitor.sensitive import redact
from ocean.produced import Produced
from ocean.store.base import RechecksOwnership, RunRecord, Store, iso_at
from ocean.transform.jq import rewrite_single_quotes
from ocean.transform.mapper import CompiledResource
from ocean.types import EntityKey

_log = logging.getLogger(__name__)
_GRAPH_CHUNK = 5000
"""Keys per question to the catalog about who relates to them."""


async def run_resync(job: ResyncJob, *, trigger: str = "manual") -> ResyncReport:
    """Run one full resync and record it in the catalog."""
    started_at = await job.store.now()  # the catalog's clock: writes since are stamped by it
    report = ResyncReport(integration=job.owner.identifier, trigger=trigger, started_at=started_at)
    blueprints = await job.store.list_blueprints()
    tally = Tally(
        blueprints={bp["identifier"]: bp for bp in blueprints},
        produced=Produced(job.store, job.owner),
        held=None if job.mapping.create_missing_related_entities else _held(job),
    )
    log_lines.resync_started(report, len(job.resources))
    return await recorded(job, report, lambda: _run_kinds_and_delete(job, report, tally))


async def recorded(
    job: ResyncJob, report: ResyncReport, work: Callable[[], Awaitable[None]]
) -> ResyncReport:
    """Record ``report``'s run as ``running``, do ``work`` (which sets its status), and
    record how it ended: ``aborted`` when cancelled or its fenced deletion found the lease
    gone (nothing more is deleted; raised again) or when the integration aborted it
    (:class:`ResyncAbortedError`: returned), ``failed`` when it raised (then raised again)."""
    trigger = report.trigger
    ended = _EndClock(report.started_at)
    run_id = await _record(job, report, trigger)
    try:
        incremental = report.mode == "incremental"
        with job.integration.resync_scope(job.mapping, incremental=incremental):
            await work()
    except (asyncio.CancelledError, LeaseLostError) as stopped:
        # A newer trigger, a shutdown or a lost lease: what was written stays, nothing more
        # is deleted (the chunks of stale entities deleted before it, and the one under
        # way, stay deleted and counted: see _delete_chunk).
        report.status, report.ended_at = "aborted", ended.now()
        if isinstance(stopped, LeaseLostError):
            report.errors.append(str(stopped))
        log_lines.resync_ended(report)
        tell_stopped(job.observer, report)
        await asyncio.shield(_record(job, report, trigger, run_id))
        raise
    except ResyncAbortedError as aborted:
        # The integration stopped it itself: as above, but its report is the outcome (the
        # listener goes on as after any resync).
        report.status, report.ended_at = "aborted", ended.now()
        report.errors.append(str(aborted))
        log_lines.resync_ended(report)
        await _record(job, report, trigger, run_id)
        return report
    except Exception as error:
        # The catalog or a bug broke the run: record it failed, then let the caller see it.
        report.status, report.ended_at = "failed", ended.now()
        report.errors.append(f"the resync stopped: {type(error).__name__}: {error}")
        log_lines.resync_ended(report)
        tell_stopped(job.observer, report)
        await _record(job, report, trigger, run_id)
        raise
    report.ended_at = ended.now()
    log_lines.resync_ended(report)
    await _record(job, report, trigger, run_id)
    return report


class _EndClock:
    """A run's end by the clock its start was read from (the catalog's, see
    :meth:`Store.now`): the start plus the time elapsed here, so that its duration holds
    whatever this host's clock says."""

    def __init__(self, started_at: str) -> None:
        self._start = dt.datetime.fromisoformat(started_at.replace("Z", "+00:00"))
        self._began = time.monotonic()

    def now(self) -> str:
        return iso_at(self._start + dt.timedelta(seconds=time.monotonic() - self._began))


NOT_STARTED = (
    "not synced: an on_resync_start hook failed (its error is the run's); fix it and the "
    "next resync syncs this kind (only an HTTP error from such a hook lets the kinds run, "
    "without stale deletion)"
)


def _lets_kinds_run(error: Exception) -> bool:
    """Whether a start hook's error still lets the kinds run (an HTTP error, as the original)."""
    import httpx  # imported on use: a sail's start-up does without it

    return isinstance(error, httpx.HTTPError)


async def _run_kinds_and_delete(job: ResyncJob, report: ResyncReport, tally: Tally) -> None:
    job.started()
    hooks = job.integration.resync_start_hooks
    raised = await run_hooks(hooks, "on_resync_start", report.errors, until_failure=True)
    tally.state_known = not raised
    kinds = [
        KindReport(kind=resource.kind, index=resource.index, shape=shape_of(resource.resource))
        for resource in job.resources
    ]
    report.kinds.extend(kinds)
    if not all(map(_lets_kinds_run, raised)):
        for kind in kinds:  # as the original: only an HTTP error lets the kinds run
            kind.fail(NOT_STARTED)
        report.status = "failed"
        return
    bound = asyncio.Semaphore(max(1, job.concurrent_kinds))

    async def sync(resource: CompiledResource, kind: KindReport) -> None:
        async with bound:
            job.observer.kind_started(kind)
            await sync_kind(job, resource, kind, tally)
            job.observer.kind_finished(kind)
            log_lines.kind_finished(kind)

    if tally.produced is not None:
        await tally.produced.started()
    owned_at_start = _read_ownership(job, report, tally)
    try:
        async with asyncio.TaskGroup() as group:
            for resource, kind in zip(job.resources, kinds, strict=True):
                group.create_task(sync(resource, kind))
        await _write_held(job, report, tally)
        await _delete_stale(job, report, tally, owned_at_start)
    except BaseExceptionGroup as failures:
        raise failures.exceptions[0] from None  # e.g. the catalog failed: say so plainly
    finally:
        await _let_go(tally, owned_at_start)
    report.status = "completed" if succeeded(report) else "failed"
    job.finishing()
    if report.status == "completed":
        hooks = job.integration.resync_complete_hooks
        await run_hooks(hooks, "on_resync_complete", report.errors, until_failure=True)


async def _record(
    job: ResyncJob, report: ResyncReport, trigger: str, run_id: int | None = None
) -> int:
    """Report the run's state: ``running`` at the start, then its final status (its errors
    without sensitive values, as it is then shown)."""
    report.redact(redact)
    return await job.store.record_run(
        RunRecord(
            integration=report.integration,
            trigger=trigger,
            started_at=report.started_at,
            ended_at=report.ended_at,
            status=report.status if run_id is not None else "running",
            report=report.to_dict(),
            id=run_id,
            next_resync=_next_resync(report.ended_at or report.started_at, job.interval_minutes),
            interval_minutes=job.interval_minutes,
        )
    )


async def _let_go(tally: Tally, owned_at_start: asyncio.Task[set[EntityKey]] | None) -> None:
    """What the run held, let go at its end however it ended."""
    if tally.held is not None:  # (a resync that failed before writing them)
        tally.held.close()
    if owned_at_start is not None:
        owned_at_start.cancel()
        owned_at_start.add_done_callback(_taken)
    if tally.produced is not None:
        await asyncio.shield(_forget(tally.produced))


def _held(job: ResyncJob) -> HeldForTargets:
    fetches = job.freshness.fetches() if job.freshness is not None else None
    return HeldForTargets(fetches=fetches)


async def _write_held(job: ResyncJob, report: ResyncReport, tally: Tally) -> None:
    """Write the entities held for their relation targets; a kind that then counts a
    failure fails, and nothing of its blueprints is deleted."""
    if tally.held is None:
        return
    await tally.held.write(job.store, job.owner, job.mapping, job.freshness)
    for kind in report.kinds:
        if kind.status == "completed" and kind.errors:
            kind.status = "failed"
            tally.protected_blueprints |= set(kind.blueprints)


def _next_resync(since: str, interval_minutes: float | None) -> str | None:
    if not interval_minutes:
        return None
    moment = dt.datetime.fromisoformat(since.replace("Z", "+00:00"))
    later = moment + dt.timedelta(minutes=interval_minutes)
    return iso_at(later)


def succeeded(report: ResyncReport) -> bool:
    return not report.errors and all(kind.status == "completed" for kind in report.kinds)


async def sync_kind(
    job: ResyncJob, resource: CompiledResource, kind: KindReport, tally: Tally
) -> None:
    produced: set[str] = set()
    if resource.refused is not None:  # nothing of it can be mapped: not fetched, kept
        kind.fail(_refusal(resource))
    else:
        await _sync_resource(job, resource, kind, tally, produced)
    kind.misconfigurations |= resource.uncompiled  # null on every item, whatever was read
    if kind.status == "pending" and not kind.errors:
        kind.status = "completed"
    elif kind.status == "pending":
        kind.status = "failed"
    tally.mapped_blueprints |= produced | _literal_blueprints(resource)
    kind.blueprints = sorted(produced | _literal_blueprints(resource))
    if kind.status != "completed":
        tally.protected_blueprints |= produced | _literal_blueprints(resource)
    kind.required_misconfigured = required_fields(
        kind.misconfigurations, [tally.blueprints.get(bp, {}) for bp in produced]
    )
    written = {bp: tally.blueprints[bp] for bp in produced if bp in tally.blueprints}
    kind.undefined = undefined_fields(resource.resource.port.entity.mappings, written)


async def _sync_resource(
    job: ResyncJob, resource: CompiledResource, kind: KindReport, tally: Tally, produced: set[str]
) -> None:
    with job.integration.resource_scope(resource.resource, job.mapping):
        try:
            await sync_pages(job, resource, kind, tally, produced)
        except asyncio.CancelledError as cancelled:
            if stopping():  # the resync is being stopped: it ends aborted
                raise
            kind.fail(CANCELLED_INSIDE, cancelled)  # else its task group would ignore it


def _refusal(resource: CompiledResource) -> str:
    """The error of a kind whose keys, selector or itemsToParse do not compile."""
    return (
        f"{resource.where}: {resource.refused}, so no entity can be made of its items: the "
        "kind was not fetched and its entities are kept (none deleted). Fix the expression "
        "in the mapping (try it with `ocean map`); the next resync syncs the kind."
    )


async def _delete_stale(
    job: ResyncJob,
    report: ResyncReport,
    tally: Tally,
    owned_at_start: asyncio.Task[set[EntityKey]] | None,
) -> None:
    last = await job.store.last_completed_run(job.owner.identifier)
    threshold = job.mapping.entity_deletion_threshold
    shrunk = weigh(last.report.get("kinds") if last else None, report.kinds, threshold)
    if shrunk.blocked:
        report.deletion_notes.append(f"skipped: {shrunk.blocked}")
        return
    if not tally.state_known:
        report.deletion_notes.append(
            "skipped: an on_resync_start hook failed, so the previous state is unknown"
        )
        return
    if unfinished := [k.kind for k in report.kinds if k.status == "pending"]:
        report.deletion_notes.append(f"skipped: kinds {unfinished} did not finish")
        return
    if any(
        k.status != "completed" and not _literal_blueprints(r)
        for k, r in zip(report.kinds, job.resources, strict=True)
    ):
        report.deletion_notes.append(
            "skipped: a kind whose blueprint is computed from data failed, "
            "so which entities it owns is unknown"
        )
        return
    assert tally.produced is not None
    candidates = await _stale_candidates(job, report, tally, owned_at_start)
    if shrunk.carried and not any(key[0] in shrunk.blueprints for key in candidates):
        shrunk.accept()  # what the shrunk kinds lost is gone already: nothing left to keep
    dependents = job.mapping.delete_dependent_entities
    graph, fresh, produced = await _dependents_graph(
        job.store, candidates, tally.produced, report.started_at, dependents
    )
    stale = Stale(
        candidates=candidates,
        produced=produced,
        protected_blueprints=tally.protected_blueprints,
        mapped_blueprints=tally.mapped_blueprints,
        deletable_blueprints=_deletable(report),
        held_blueprints=shrunk.blueprints,
        # nothing to delete: no threshold to weigh (counting the owner's rows took 11 ms
        # of a 50k PostgreSQL first sync, and grows with them)
        total_owned=await job.store.count_owned(job.owner) if candidates else 0,
        produced_counts=await tally.produced.counts(report.started_at) if candidates else {},
    )
    if candidates:  # after every read of the marks: else what looks stale may not be
        await tally.produced.still_recorded()
    plan = plan_deletion(stale, graph, fresh, delete_dependents=dependents, threshold=threshold)
    report.deletion_notes.extend(_plan_notes(plan))
    kinds = {bp: kind for kind in report.kinds for bp in kind.blueprints}
    kinds |= {bp: kind for kind, r in zip(report.kinds, job.resources, strict=True)
              for bp in _literal_blueprints(r)}  # fmt: skip
    await delete_planned(job, report, plan, graph, kinds)


def _deletable(report: ResyncReport) -> set[str] | None:
    """When a kind failed, the blueprints the completed kinds map: only their stale
    entities may go, as the failed kind may have made any other's (under a blueprint its
    mapping no longer names); None when every kind completed."""
    if all(kind.status == "completed" for kind in report.kinds):
        return None
    return {bp for kind in report.kinds if kind.status == "completed" for bp in kind.blueprints}


async def _dependents_graph(
    store: Store, candidates: set[EntityKey], tally: Produced, started_at: str, follow: bool
) -> tuple[Graph, set[EntityKey], set[EntityKey]]:
    """Who relates to the stale candidates and, when ``follow`` (deleteDependentEntities),
    to those in turn, through everything a cascade could take; which of them were written
    since the resync started; and which of them this resync produced (asked of the
    catalog for these keys only)."""
    graph: Graph = {}
    fresh: set[EntityKey] = set()
    produced: set[EntityKey] = set()
    frontier = sorted(candidates)
    seen = set(frontier)
    while frontier:
        for start in range(0, len(frontier), _GRAPH_CHUNK):
            found = await store.dependents(frontier[start : start + _GRAPH_CHUNK], after=started_at)
            graph.update(found.of)
            fresh |= found.fresh
        reached = sorted({d for users in graph.values() for d in users} - seen)
        for start in range(0, len(reached), _GRAPH_CHUNK):
            produced |= await tally.among(reached[start : start + _GRAPH_CHUNK])
        seen.update(reached)
        if not follow:
            break
        frontier = sorted(set(reached) - produced - fresh)
    return graph, fresh, produced


async def _forget(produced: Produced) -> None:
    try:
        await produced.forget()
    except Exception as error:  # rows of a finished run: only disk, dropped with the next
        _log.warning("dropping this resync's produced keys failed: %s", error)


def _plan_notes(plan: DeletionPlan) -> list[str]:
    """The plan's reasons, one sentence each."""
    notes = [plan.blocked] if plan.blocked else []
    notes += [f"kept the stale {bp} entities: {why}" for bp, why in plan.blocked_blueprints.items()]
    if plan.kept_protected:
        notes.append(
            f"kept {plan.kept_protected} stale entities of blueprints a failed kind produces: "
            "nothing a failed kind may have produced is deleted; once its errors are fixed, "
            "the next resync deletes what is still stale"
        )
    if plan.kept_unmapped:
        counts = ", ".join(f"{bp} ({count})" for bp, count in plan.kept_unmapped.items())
        notes.append(
            f"kept {sum(plan.kept_unmapped.values())} stale entities of blueprints no "
            f"completed kind maps: {counts}; a kind failed, and they may be its entities "
            "under a blueprint its mapping no longer names (a typo, say). Once every kind "
            "completes, the stale entities of a blueprint no kind maps are deleted"
        )
    if plan.kept_in_use:
        key, user = next(iter(sorted(plan.kept_in_use.items())))
        notes.append(
            f"kept {len(plan.kept_in_use)} stale entities that kept entities still relate "
            f"to, e.g. {key} used by {user}"
        )
    if plan.causes:
        key, target = min(plan.cascade.items())
        notes.append(
            f"the cascade (deleteDependentEntities) takes {len(plan.causes)} entities "
            f"relating to stale ones it deletes, e.g. {key} relates to {target} (what it "
            "deleted is counted in deleted_by_cascade)"
        )
    return notes


def _read_ownership(
    job: ResyncJob, report: ResyncReport, tally: Tally
) -> asyncio.Task[set[EntityKey]] | None:
    """Start reading what the integration owns, untouched since the start, while the kinds
    run (where the catalog rechecks a few keys cheaply; see :func:`_stale_candidates`)."""
    if not isinstance(job.store, RechecksOwnership):
        return None
    if tally.produced is not None and tally.produced.catalog is not None:
        return None  # the stale candidates are a query at the end (Produced.stale)
    store = job.store

    async def read() -> set[EntityKey]:
        await tally.recalls_asked.wait()
        return await store.owned_keys(job.owner, before=report.started_at)

    return asyncio.create_task(read())


async def _stale_candidates(
    job: ResyncJob,
    report: ResyncReport,
    tally: Tally,
    owned_at_start: asyncio.Task[set[EntityKey]] | None,
) -> set[EntityKey]:
    """What the integration owns, untouched since the resync started, that it did not
    produce. With the ownership read while the kinds ran, only the keys it did not produce
    are checked again: nothing can have joined them (an entity becomes owned only by a
    write, which makes it newer than the start), some may have left."""
    before = report.started_at
    assert tally.produced is not None
    if (streamed := await tally.produced.stale(before)) is not None:
        return streamed
    if owned_at_start is not None:
        tally.recalls_asked.set()  # no kind asked (none ran): read it now
        try:
            owned = await owned_at_start
        except Exception as error:  # an optimisation only: read the ownership again
            _log.warning("reading the ownership during the resync failed: %s", error)
        else:
            left = sorted(owned - tally.produced.memory)
            assert isinstance(job.store, RechecksOwnership)
            return await job.store.owned_among(job.owner, left, before=before) if left else set()
    return await job.store.owned_keys(job.owner, before=before) - tally.produced.memory


def _taken(task: asyncio.Future[Any]) -> None:
    """Take a task's outcome, so that asyncio does not log it as never retrieved."""
    if not task.cancelled():
        task.exception()


def _literal_blueprints(resource: CompiledResource) -> set[str]:
    """The blueprint when the mapping names it literally (``'"service"'``), else empty."""
    text = rewrite_single_quotes(resource.resource.port.entity.mappings.blueprint).strip()
    try:
        value = json.loads(text)
    except ValueError:
        return set()
    return {value} if isinstance(value, str) else set()
