"""One resync, wiring the stages: extract -> transform -> load per kind, then stale deletion.

Nothing here reaches for global state: the integration, mapping, store and owner come in
as a :class:`ResyncJob`, and a :class:`ResyncReport` comes out.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any, Protocol

from ocean.errors import ExtractError
from ocean.extract.extract import extract
from ocean.integration import Integration
from ocean.load.apply import summarize, write_entities
from ocean.load.deletion import plan_deletion
from ocean.load.freshness import Freshness
from ocean.load.page_memo import PageMemo, PendingPage, fingerprint, page_digest, pending_page
from ocean.mapping import PortAppConfig
from ocean.monitor.report import KindReport, ResyncReport
from ocean.store.base import Owner, PageRecord, RemembersPages, RunRecord, Store
from ocean.store.sqlite import now_iso
from ocean.transform.jq import rewrite_single_quotes
from ocean.transform.mapper import CompiledResource, MapResult
from ocean.transform.pool import TransformPool
from ocean.types import Entity, EntityKey, RawBatch

_MAX_ERRORS_KEPT = 50
WRITE_BATCH = 1000
"""Mapped entities written per store call at least (handlers often yield pages of 100)."""
MAX_WAITING = 200
"""Raw pages read ahead (not yet mapped) while the catalog recalls the last run's pages."""
MAX_PENDING = 20_000
"""Mapped entities held while the store is still writing the previous ones: a slow store
gets bigger transactions (fewer commits) instead of stalling the mapping, within a bound."""


class Observer(Protocol):
    """Told about progress as the resync runs (a progress bar, metrics)."""

    def kind_started(self, kind: KindReport) -> None: ...
    def batch_done(self, kind: KindReport) -> None: ...
    def kind_finished(self, kind: KindReport) -> None: ...


class SilentObserver:
    """An observer that ignores progress (tests, library use)."""

    def kind_started(self, kind: KindReport) -> None: ...
    def batch_done(self, kind: KindReport) -> None: ...
    def kind_finished(self, kind: KindReport) -> None: ...


@dataclass
class ResyncJob:
    """Everything one resync needs, passed explicitly."""

    integration: Integration
    mapping: PortAppConfig
    resources: list[CompiledResource]
    store: Store
    owner: Owner
    observer: Observer = field(default_factory=SilentObserver)
    pool: TransformPool | None = None
    """Worker processes for jq-heavy batches; None maps everything in-process."""
    concurrent_kinds: int = 1
    """Resources synced at the same time (1: one after another, in mapping order, as the
    original; more lets a slow kind not hold the others up)."""
    freshness: Freshness | None = None
    """Shared with the live-event workers of the same process, so the newest data wins."""
    interval_minutes: float | None = None
    """The scheduled-resync interval, reported with each run's state (``nextResync``)."""
    skip_unchanged_pages: bool = True
    """Skip raw pages synced cleanly last time and unchanged since, where the catalog
    remembers pages (see :mod:`ocean.load.page_memo`)."""


@dataclass
class _Tally:
    """What the kinds produced, for stale deletion."""

    generated: set[EntityKey] = field(default_factory=set)
    protected_blueprints: set[str] = field(default_factory=set)
    blueprints: dict[str, dict[str, Any]] = field(default_factory=dict)
    state_known: bool = True


async def run_resync(job: ResyncJob, *, trigger: str = "manual") -> ResyncReport:
    """Run one full resync and record it in the catalog."""
    report = ResyncReport(integration=job.owner.identifier, trigger=trigger, started_at=now_iso())
    blueprints = await job.store.list_blueprints()
    tally = _Tally(
        blueprints={bp["identifier"]: bp for bp in blueprints},
    )
    run_id = await _record(job, report, trigger)
    try:
        await _run_kinds_and_delete(job, report, tally)
    except asyncio.CancelledError:
        # A newer trigger or a shutdown: what was written stays, nothing is deleted.
        report.status = "aborted"
        report.ended_at = now_iso()
        await asyncio.shield(_record(job, report, trigger, run_id))
        raise
    except Exception as error:
        # The catalog or a bug broke the run: record it failed, then let the caller see it.
        report.status, report.ended_at = "failed", now_iso()
        report.errors.append(f"the resync stopped: {type(error).__name__}: {error}")
        await _record(job, report, trigger, run_id)
        raise
    report.ended_at = now_iso()
    await _record(job, report, trigger, run_id)
    return report


async def _run_kinds_and_delete(job: ResyncJob, report: ResyncReport, tally: _Tally) -> None:
    tally.state_known = await _run_hooks(
        job.integration.resync_start_hooks, report, "on_resync_start"
    )
    kinds = [KindReport(kind=resource.kind, index=resource.index) for resource in job.resources]
    report.kinds.extend(kinds)
    bound = asyncio.Semaphore(max(1, job.concurrent_kinds))

    async def sync(resource: CompiledResource, kind: KindReport) -> None:
        async with bound:
            job.observer.kind_started(kind)
            await _sync_kind(job, resource, kind, tally)
            job.observer.kind_finished(kind)

    try:
        async with asyncio.TaskGroup() as group:
            for resource, kind in zip(job.resources, kinds, strict=True):
                group.create_task(sync(resource, kind))
    except BaseExceptionGroup as failures:
        raise failures.exceptions[0] from None  # e.g. the catalog failed: say so plainly
    await _delete_stale(job, report, tally)
    report.status = "completed" if _succeeded(report) else "failed"
    if report.status == "completed":
        await _run_hooks(job.integration.resync_complete_hooks, report, "on_resync_complete")


async def _record(
    job: ResyncJob, report: ResyncReport, trigger: str, run_id: int | None = None
) -> int:
    """Report the run's state: ``running`` at the start, then its final status."""
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


def _next_resync(since: str, interval_minutes: float | None) -> str | None:
    if not interval_minutes:
        return None
    moment = dt.datetime.fromisoformat(since.replace("Z", "+00:00"))
    later = moment + dt.timedelta(minutes=interval_minutes)
    return later.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _succeeded(report: ResyncReport) -> bool:
    return not report.errors and all(kind.status == "completed" for kind in report.kinds)


async def _run_hooks(hooks: list[Any], report: ResyncReport, name: str) -> bool:
    for hook in hooks:
        try:
            await hook()
        except Exception as error:
            report.errors.append(
                f"{name} hook {hook.__qualname__} raised {type(error).__name__}: {error}"
            )
            return False
    return True


async def _sync_kind(
    job: ResyncJob, resource: CompiledResource, kind: KindReport, tally: _Tally
) -> None:
    produced: set[str] = set()
    with job.integration.resource_scope(resource.resource, job.mapping):
        await _extract_and_load(job, resource, kind, tally, produced)
    if kind.status == "pending" and not kind.errors:
        kind.status = "completed"
    elif kind.status == "pending":
        kind.status = "failed"
    if kind.status != "completed":
        tally.protected_blueprints |= produced | _literal_blueprints(resource)
    kind.required_misconfigured = required_fields(
        kind.misconfigurations, [tally.blueprints.get(bp, {}) for bp in produced]
    )


@dataclass
class _Pending:
    """Mapped entities waiting for one write, and the pages they came from."""

    entities: list[Entity] = field(default_factory=list)
    pages: list[PendingPage] = field(default_factory=list)
    since: float = 0.0
    """When the oldest of these pages was fetched (newest data wins, see Freshness)."""


async def _extract_and_load(
    job: ResyncJob, resource: CompiledResource, kind: KindReport, tally: _Tally, produced: set[str]
) -> None:
    pipeline = _Pipeline(job, resource, kind, tally, produced)
    mark, store = _memo_mark(job, resource, tally), job.store
    recalling = (
        asyncio.create_task(store.recall_pages(job.owner, *mark))
        if mark is not None and isinstance(store, RemembersPages)
        else None
    )
    await asyncio.sleep(0)  # let the recall reach the store before the pages come
    waiting: list[tuple[RawBatch, bytes | None, float]] = []
    try:
        async for batch, fetched_at in _timed(extract(job.integration, resource.kind), kind):
            kind.extracted += len(batch)
            page = (batch, page_digest(batch) if mark is not None else None, fetched_at)
            if recalling is not None and not recalling.done() and len(waiting) < MAX_WAITING:
                waiting.append(page)  # read on while the catalog recalls the last run's pages
                continue
            if recalling is not None:
                pipeline.memo = _memo(mark, await recalling)
                recalling = None
            for early in [*waiting, page]:
                await pipeline.take(*early)
            waiting = []
    except ExtractError as error:
        kind.fail(str(error))
    finally:
        if recalling is not None:
            pipeline.memo = _memo(mark, await recalling)
        for early in waiting:
            await pipeline.take(*early)
        await pipeline.flush()
    if pipeline.memo is not None and not kind.errors and pipeline.memo.changed():
        await _keep_pages(job, pipeline.memo)


@dataclass
class _Pipeline:
    """One resource's pages, mapped (or skipped as unchanged) and written: the store
    writes one batch while the next pages are mapped."""

    job: ResyncJob
    resource: CompiledResource
    kind: KindReport
    tally: _Tally
    produced: set[str]
    memo: PageMemo | None = None
    loading: asyncio.Task[None] | None = None
    pending: _Pending = field(default_factory=_Pending)

    async def take(self, batch: RawBatch, digest: bytes | None, fetched_at: float) -> None:
        job, kind, pending = self.job, self.kind, self.pending
        if self.memo is not None and (record := self.memo.hit(digest)) is not None:
            _recount(kind, record, self.tally, self.produced)
            return
        pending.since = pending.since if pending.entities else fetched_at
        started = time.perf_counter()
        mapped = await _transform(job, self.resource, batch)
        kind.transform_seconds += time.perf_counter() - started
        _count_mapping(kind, mapped)
        _remember(mapped.passed, self.tally, self.produced)
        pending.pages.append(pending_page(digest, len(pending.entities), mapped))
        pending.entities += mapped.passed
        if len(pending.entities) < WRITE_BATCH:
            return  # small pages are written together: one transaction, fewer page writes
        loading = self.loading
        if loading is not None and not loading.done() and len(pending.entities) < MAX_PENDING:
            return  # the store is busy: keep mapping, the next write takes it all
        if loading is not None:
            await loading
        # The next batches are extracted and mapped while these are written.
        self.loading = asyncio.create_task(_load(job, pending, kind, self.memo))
        self.pending = _Pending()
        await asyncio.sleep(0)  # let the write start before the next batch is mapped

    async def flush(self) -> None:
        """Wait for the write under way, then write what is left."""
        if self.loading is not None:
            await self.loading
        if self.pending.entities:
            await _load(self.job, self.pending, self.kind, self.memo)


def _memo_mark(job: ResyncJob, resource: CompiledResource, tally: _Tally) -> tuple[str, str] | None:
    """The slot and fingerprint of this resource's page records, where the catalog keeps
    them and the mapping is a pure function of the page."""
    if not job.skip_unchanged_pages or not isinstance(job.store, RemembersPages):
        return None
    flags = {
        "merge": job.mapping.enable_merge_entity,
        "create_missing_related": job.mapping.create_missing_related_entities,
    }
    mark = fingerprint(resource, flags, tally.blueprints)
    return None if mark is None else (f"{resource.index}:{resource.kind}", mark)


def _memo(mark: tuple[str, str] | None, records: list[PageRecord]) -> PageMemo | None:
    if mark is None:
        return None
    return PageMemo(mark[0], mark[1], {record.digest: record for record in records})


async def _keep_pages(job: ResyncJob, memo: PageMemo) -> None:
    store = job.store
    assert isinstance(store, RemembersPages)  # the memo exists only for such a store
    await store.remember_pages(job.owner, memo.slot, memo.fingerprint, memo.records())


def _recount(kind: KindReport, record: PageRecord, tally: _Tally, produced: set[str]) -> None:
    """Count a page skipped as unchanged as its last mapping counted it."""
    counts = record.counts
    kind.mapped += counts["mapped"]
    kind.skipped += counts["skipped"]
    kind.dropped += counts["dropped"]
    kind.filtered_out += counts["filtered_out"]
    kind.unchanged += len(record.keys)
    kind.unchanged_pages += 1
    produced.update(blueprint for blueprint, _ in record.keys)
    tally.generated.update(record.keys)


async def _timed(
    batches: AsyncIterator[RawBatch], kind: KindReport
) -> AsyncIterator[tuple[RawBatch, float]]:
    """Each batch with the time its fetch started (:meth:`Freshness.now`)."""
    while True:
        started, fetched_at = time.perf_counter(), Freshness.now()
        try:
            batch = await anext(batches)
        except StopAsyncIteration:
            return
        finally:
            kind.extract_seconds += time.perf_counter() - started
        yield batch, fetched_at


async def _transform(job: ResyncJob, resource: CompiledResource, batch: RawBatch) -> MapResult:
    if job.pool is not None and job.pool.wanted(resource, len(batch)):
        return await job.pool.map_items(resource, batch)
    return resource.map_items(batch)


def _count_mapping(kind: KindReport, mapped: MapResult) -> None:
    kind.mapped += len(mapped.passed)
    kind.skipped += mapped.skipped
    kind.dropped += mapped.dropped
    kind.failed += len(mapped.errors)
    kind.filtered_out += mapped.filtered_out
    kind.misconfigurations.update(mapped.misconfigurations)
    _keep_errors(kind, mapped.errors)


def _keep_errors(kind: KindReport, errors: list[str]) -> None:
    kind.errors.extend(errors[: max(0, _MAX_ERRORS_KEPT - len(kind.errors))])


def _remember(entities: list[Entity], tally: _Tally, produced: set[str]) -> None:
    generated = tally.generated
    for entity in entities:
        blueprint = str(entity["blueprint"])
        produced.add(blueprint)
        identifier = entity["identifier"]
        generated.add((blueprint, identifier if type(identifier) is str else _key(identifier)))


async def _load(job: ResyncJob, pending: _Pending, kind: KindReport, memo: PageMemo | None) -> None:
    started, entities = time.perf_counter(), pending.entities
    async with job.freshness.lock if job.freshness else contextlib.nullcontext():
        if job.freshness is not None:
            entities, newer = job.freshness.claim(entities, pending.since)
            kind.unchanged += newer
        outcomes = await write_entities(job.store, entities, owner=job.owner, mapping=job.mapping)
    kind.load_seconds += time.perf_counter() - started
    loaded = summarize(outcomes)
    kind.created += loaded.created
    kind.updated += loaded.updated
    kind.unchanged += loaded.unchanged
    kind.failed += loaded.failed
    _keep_errors(kind, loaded.errors)
    if memo is not None and len(outcomes) == len(pending.entities):  # none claimed by live data
        for page in pending.pages:
            memo.remember(page, outcomes[page.start : page.end])
    job.observer.batch_done(kind)


async def _delete_stale(job: ResyncJob, report: ResyncReport, tally: _Tally) -> None:
    if not tally.state_known:
        report.deletion_note = (
            "skipped: an on_resync_start hook failed, so the previous state is unknown"
        )
        return
    if any(
        k.status != "completed" and not _literal_blueprints(r)
        for k, r in zip(report.kinds, job.resources, strict=True)
    ):
        report.deletion_note = (
            "skipped: a kind whose blueprint is computed from data failed, "
            "so which entities it owns is unknown"
        )
        return
    candidates = await job.store.owned_keys(job.owner, before=report.started_at)
    stale = sorted(candidates - tally.generated)
    plan = plan_deletion(
        owned=candidates,
        total_owned=await job.store.count_owned(job.owner),
        generated=tally.generated,
        protected_blueprints=tally.protected_blueprints,
        relation_targets=await job.store.referenced(stale)
        if job.mapping.create_missing_related_entities and stale
        else set(),
        threshold=job.mapping.entity_deletion_threshold,
    )
    report.deletion_note = plan.blocked
    if plan.delete:
        result = await job.store.delete_entities(
            plan.delete, delete_dependents=job.mapping.delete_dependent_entities
        )
        report.deleted = len(result.deleted)
        _attribute_deletions(report, job.resources, result.deleted)
        if result.blocked:
            example = next(iter(result.blocked.items()))
            report.deletion_note = (
                f"kept {len(result.blocked)} stale entities that other entities still relate to "
                f"(deleteDependentEntities is false), e.g. {example[0]} used by {example[1][:3]}"
            )


def _attribute_deletions(
    report: ResyncReport, resources: list[CompiledResource], keys: list[EntityKey]
) -> None:
    owner_of = {
        bp: kind
        for kind, r in zip(report.kinds, resources, strict=True)
        for bp in _literal_blueprints(r)
    }
    for blueprint, _ in keys:
        kind = owner_of.get(blueprint)
        if kind is not None:
            kind.deleted += 1


def required_fields(misconfigured: dict[str, str], blueprints: list[dict[str, Any]]) -> list[str]:
    """The misconfigured paths that a blueprint marks required (reported as errors)."""
    required: set[str] = set()
    for blueprint in blueprints:
        required |= {
            f"properties.{name}" for name in (blueprint.get("schema") or {}).get("required", [])
        }
        required |= {
            f"relations.{name}"
            for name, relation in (blueprint.get("relations") or {}).items()
            if isinstance(relation, dict) and relation.get("required")
        }
    return sorted(path for path in misconfigured if path in required)


def _literal_blueprints(resource: CompiledResource) -> set[str]:
    """The blueprint when the mapping names it literally (``'"service"'``), else empty."""
    text = rewrite_single_quotes(resource.resource.port.entity.mappings.blueprint).strip()
    try:
        value = json.loads(text)
    except ValueError:
        return set()
    return {value} if isinstance(value, str) else set()


def _key(identifier: Any) -> str:
    return identifier if isinstance(identifier, str) else json.dumps(identifier, sort_keys=True)
