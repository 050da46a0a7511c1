"""One resource's pages through the stages: extracted, mapped (or skipped as unchanged,
see :mod:`ocean.load.page_memo`) and written, the store writing one batch while the next
pages are mapped. :func:`sync_pages` is called by :func:`ocean.resync.run_resync` per kind.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ocean.errors import ExtractError
from ocean.extract.extract import extract
from ocean.load.apply import summarize, write_entities
from ocean.load.freshness import Freshness
from ocean.load.page_memo import PageMemo, PendingPage, fingerprint, page_digest, pending_page
from ocean.monitor.report import KindReport
from ocean.store.base import PageRecord, PreparesWrites, RemembersPages
from ocean.store.writes import PreparedBatch, joined
from ocean.transform.mapper import CompiledResource, MapResult
from ocean.types import Entity, RawBatch

if TYPE_CHECKING:
    from ocean.resync import ResyncJob, Tally

_log = logging.getLogger(__name__)
_MAX_ERRORS_KEPT = 50
WRITE_BATCH = 1000
"""Mapped entities written per store call at least (handlers often yield pages of 100)."""
MAX_WAITING = 20_000
"""Raw items read ahead (not yet mapped) while the catalog recalls the last run's pages."""
MAX_PENDING = 20_000
"""Mapped entities held while the store is still writing the previous ones: a slow store
gets bigger transactions (fewer commits) instead of stalling the mapping, within a bound."""


_Page = tuple[RawBatch, bytes | None, float]
"""A raw page, its digest (None: not to be remembered) and when its fetch started."""


@dataclass
class _Pending:
    """Mapped entities waiting for one write, and the pages they came from."""

    entities: list[Entity] = field(default_factory=list)
    pages: list[PendingPage] = field(default_factory=list)
    prepared: list[PreparedBatch | None] = field(default_factory=list)
    """Each page's entities prepared for the store as they were mapped (keys checked,
    bodies rendered; see :class:`PreparesWrites`), while the store wrote the last batch."""
    since: float = 0.0
    """When the oldest of these pages was fetched (newest data wins, see Freshness)."""


async def sync_pages(
    job: ResyncJob, resource: CompiledResource, kind: KindReport, tally: Tally, produced: set[str]
) -> None:
    """Extract, map and write one resource's pages, counting into ``kind``, adding what it
    produced to ``tally`` and the blueprints to ``produced``."""
    pipeline = _Pipeline(
        job, resource, kind, tally, produced, mark=_memo_mark(job, resource, tally)
    )
    await pipeline.recall()
    tally.recalls_asked.set()
    try:
        async for batch, fetched_at in _timed(extract(job.integration, resource.kind), kind):
            kind.extracted += len(batch)
            await pipeline.offer(batch, fetched_at)
    except ExtractError as error:
        kind.fail(str(error))  # what was read before the failure is still written
    except BaseException:
        pipeline.abandon_recall()
        await pipeline.flush()  # what was mapped is written; read-ahead pages are dropped
        raise
    await pipeline.finish()
    if pipeline.memo is not None:  # each kept page was written cleanly, whatever the others did
        records = pipeline.memo.to_keep()
        if records is not None:
            await _keep_pages(job, pipeline.memo, records)


@dataclass
class _Pipeline:
    """One resource's pages, mapped (or skipped as unchanged) and written: the store
    writes one batch while the next pages are mapped."""

    job: ResyncJob
    resource: CompiledResource
    kind: KindReport
    tally: Tally
    produced: set[str]
    mark: tuple[str, str] | None = None
    """The slot and fingerprint of the resource's page records (None: none kept)."""
    memo: PageMemo | None = None
    recalling: asyncio.Task[list[PageRecord]] | None = None
    waiting: list[_Page] = field(default_factory=list)
    read_ahead: int = 0
    """Raw items in ``waiting``."""
    loading: asyncio.Task[None] | None = None
    pending: _Pending = field(default_factory=_Pending)

    async def recall(self) -> None:
        """Start asking the catalog for the last run's page records."""
        store = self.job.store
        if self.mark is not None and isinstance(store, RemembersPages):
            self.recalling = asyncio.create_task(store.recall_pages(self.job.owner, *self.mark))
            await asyncio.sleep(0)  # let the recall reach the store before the pages come

    def abandon_recall(self) -> None:
        recalling = self.recalling
        if recalling is not None:
            recalling.cancel()
            if recalling.done() and not recalling.cancelled():
                recalling.exception()  # taken, so that asyncio does not log it as lost

    async def offer(self, batch: RawBatch, fetched_at: float) -> None:
        """Take a page now, or once the recall is in (read on meanwhile, within a bound)."""
        page = (batch, page_digest(batch) if self.mark is not None else None, fetched_at)
        recalling = self.recalling
        if recalling is not None and not recalling.done():
            await asyncio.sleep(0)  # a handler that never awaits would hide the recall's end
        if recalling is not None and not recalling.done() and self.read_ahead < MAX_WAITING:
            # A copy: a handler may clear and refill the list it yielded for its next page.
            self.waiting.append((list(batch), *page[1:]))
            self.read_ahead += len(batch)
            return
        await self._take_waiting()
        await self.take(*page)

    async def finish(self) -> None:
        """Take the pages still waiting, then write everything."""
        await self._take_waiting()
        await self.flush()

    async def _take_waiting(self) -> None:
        if self.recalling is not None:
            try:
                records = await self.recalling
            except Exception as error:  # an optimisation only: map every page instead
                _log.warning(
                    "recalling the last resync's pages failed, mapping them all: %s", error
                )
                records = []
            self.recalling = None
            if self.mark is not None:
                self.memo = PageMemo(*self.mark, {record.digest: record for record in records})
        waiting, self.waiting, self.read_ahead = self.waiting, [], 0
        for page in waiting:
            await self.take(*page)

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
        store = job.store
        if isinstance(store, PreparesWrites):
            pending.prepared.append(store.prepare_writes(mapped.passed))
        if len(pending.entities) < WRITE_BATCH:
            return  # small pages are written together: one transaction, fewer page writes
        loading = self.loading
        if loading is not None and not loading.done():
            await asyncio.sleep(0)  # see whether the store finished (the handler may never await)
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


def _memo_mark(job: ResyncJob, resource: CompiledResource, tally: Tally) -> tuple[str, str] | None:
    """The slot and fingerprint of this resource's page records, where the catalog keeps
    them and the mapping is a pure function of the page."""
    store = job.store
    if not job.skip_unchanged_pages or not isinstance(store, RemembersPages):
        return None
    if not store.remembers_pages():
        return None
    flags = {
        "merge": job.mapping.enable_merge_entity,
        "create_missing_related": job.mapping.create_missing_related_entities,
    }
    mark = fingerprint(resource, flags, tally.blueprints)
    return None if mark is None else (f"{resource.index}:{resource.kind}", mark)


async def _keep_pages(job: ResyncJob, memo: PageMemo, records: list[PageRecord]) -> None:
    store = job.store
    assert isinstance(store, RemembersPages)  # the memo exists only for such a store
    try:
        await store.remember_pages(job.owner, memo.slot, memo.fingerprint, records)
    except Exception as error:  # the resync itself is done; the next one maps every page
        _log.warning("remembering this resync's pages failed: %s", error)


def _recount(kind: KindReport, record: PageRecord, tally: Tally, produced: set[str]) -> None:
    """Count a page skipped as unchanged as its last mapping counted it."""
    counts = record.counts
    kind.mapped += counts["mapped"]
    kind.skipped += counts["skipped"]
    kind.dropped += counts["dropped"]
    kind.filtered_out += counts["filtered_out"]
    kind.misconfigurations.update(record.misconfigured)
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


def _remember(entities: list[Entity], tally: Tally, produced: set[str]) -> None:
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
        prepared = _joined(pending.prepared) if len(entities) == len(pending.entities) else None
        outcomes = await write_entities(
            job.store, entities, owner=job.owner, mapping=job.mapping, prepared=prepared
        )
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


def _joined(pages: list[PreparedBatch | None]) -> PreparedBatch | None:
    """The pages' prepared entities as one batch, if every page was prepared."""
    complete = [page for page in pages if page is not None]
    return joined(complete) if len(complete) == len(pages) else None


def _key(identifier: Any) -> str:
    return identifier if isinstance(identifier, str) else json.dumps(identifier, sort_keys=True)
