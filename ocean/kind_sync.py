"""One resource's pages through the stages: extracted, mapped (or skipped as unchanged,
see :mod:`ocean.load.page_memo`) and written, the store writing one batch while the next
pages are mapped. A catalog in its own process maps some pages itself, beside this one
(:mod:`ocean.store.sqlite.mapping`). :func:`sync_pages` is called by
:func:`ocean.resync.run_resync` per kind.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from collections.abc import AsyncIterator, Collection
from dataclasses import dataclass, field
from typing import Any

from ocean.errors import ExtractError
from ocean.extract.examples import kind_examples
from ocean.extract.extract import extract
from ocean.extract.raw_values import sift
from ocean.job import ResyncJob, Tally
from ocean.load.apply import count_written, keep_errors, write_entities, write_pages
from ocean.load.freshness import Fetches, Freshness
from ocean.load.page_claims import Page, PageClaims, open_book, settle
from ocean.load.page_memo import PageBook, page_digest, page_json, pending_page, record_of
from ocean.load.under_way import drained, ended, finished, room, stopping
from ocean.monitor.report import KindReport
from ocean.store.base import PageRecord, WriteOutcome
from ocean.store.page_records import ClaimedPage
from ocean.store.prepared import MapsPages, PreparesWrites, WritesInOrder
from ocean.store.writes import PreparedBatch, joined
from ocean.transform.mapper import CompiledResource, MapSummary
from ocean.transform.mapping_spec import MappingSpec
from ocean.transform.pages import map_page
from ocean.types import Entity, RawBatch

_log = logging.getLogger(__name__)
CANCELLED_INSIDE = (
    "the kind's work raised CancelledError though the resync was not stopped (a task its "
    "handler awaited was cancelled by something else?): the kind failed, its entities are "
    "kept; make the handler catch or not cancel what it awaits"
)
"""A kind whose work raised CancelledError while the resync was not being stopped fails
with this (an ``asyncio.TaskGroup`` would ignore its task, and the kind stay unfinished)."""

WRITE_BATCH = 1000
"""Mapped entities written per store call at least (handlers often yield pages of 100)."""
MAX_PENDING = 5000
"""Mapped entities held while the store is still writing the previous ones: a slow store
gets bigger transactions (fewer commits) instead of stalling the mapping, within a bound."""
WRITES_AT_ONCE = 2
"""Writes under way at once, where the catalog makes them in order (:class:`MapsPages`,
:class:`WritesInOrder`)."""
HANDED_BELOW = 1000
"""A page is handed to a catalog that maps pages (:class:`MapsPages`) while fewer raw
items and entities than this wait for it (being written, or to be): it keeps up; else
the page is mapped here and the catalog only writes it, so that both processes work. At
1,000 (quiet machine, against 2,500): an incremental run of two 1,000-item pages 0.098 ->
0.091 s (8 runs each; the second page is mapped while the first is written), 5k items 0.129
-> 0.116 s, a 50k first sync 1.20 -> 1.14 s (the catalog's process is the busier one)."""


@dataclass
class _Mapped:
    """A page mapped here: its entities, prepared for the store as they were mapped (keys
    checked, bodies rendered; see :class:`PreparesWrites`) while the store wrote the last
    batch, and what mapping told."""

    digest: bytes | None
    entities: list[Entity]
    prepared: PreparedBatch | None
    summary: MapSummary


@dataclass
class _Handed:
    """A page handed to the catalog to map: its digest and JSON."""

    digest: bytes | None
    text: bytes


@dataclass
class _Pending:
    """Pages waiting for one write."""

    pages: list[_Mapped | _Handed] = field(default_factory=list)
    size: int = 0
    """Entities mapped, and raw items handed over."""
    fetched: list[float] = field(default_factory=list)
    """When each page was fetched (each one in the resync's :class:`Fetches`): its entities
    are claimed as of then (newest data wins, see Freshness)."""

    def add(self, page: _Mapped | _Handed, size: int, fetched_at: float) -> None:
        self.pages.append(page)
        self.size += size
        self.fetched.append(fetched_at)


async def sync_pages(
    job: ResyncJob, resource: CompiledResource, kind: KindReport, tally: Tally, produced: set[str]
) -> None:
    """Extract, map and write one resource's pages, counting into ``kind``, adding what it
    produced to ``tally`` and the blueprints to ``produced``."""
    pipeline = _Pipeline(job, resource, kind, tally, produced)
    pipeline.fetches = job.freshness.fetches() if job.freshness is not None else None
    try:
        await _sync_pages(job, resource, kind, pipeline)
    finally:
        if pipeline.fetches is not None:  # pages fetched and not written: dropped
            pipeline.fetches.close()


async def _sync_pages(
    job: ResyncJob, resource: CompiledResource, kind: KindReport, pipeline: _Pipeline
) -> None:
    tally = pipeline.tally
    book = pipeline.book = await open_book(job, resource, tally)
    pipeline.warm()
    tally.recalls_asked.set()
    if book is not None and book.claims:
        pipeline.claims = PageClaims(
            book, pipeline.take_page, pipeline.skip, pipeline.flush, pipeline.written
        )
    try:
        await _read(job, resource, kind, pipeline)
        await pipeline.finish()
    except BaseException:
        if pipeline.claims is not None:
            pipeline.claims.abandon()  # pages waiting for the catalog's answer are dropped
        if stopping():  # a newer trigger, a lost lease, a shutdown: no more writes
            await pipeline.stop()
        else:
            await pipeline.flush()  # what was mapped is written
        raise
    if book is not None:  # each kept page was written cleanly, whatever the others did
        await settle(book)


async def _read(
    job: ResyncJob, resource: CompiledResource, kind: KindReport, pipeline: _Pipeline
) -> None:
    """Offer the resource's pages to ``pipeline`` as they are extracted. An extraction
    error fails the kind; what was read before it is still written."""
    examples = kind_examples(job.store, job.owner.identifier, resource.kind, job.send_examples)
    try:
        async for batch, fetched_at in _timed(
            extract(job.integration, resource.kind, incremental=job.incremental),
            kind,
            pipeline.fetches,
        ):
            kind.extracted += len(batch)
            if examples is not None:
                examples.offer(batch)
            await pipeline.offer(batch, fetched_at)
    except ExtractError as error:
        kind.fail(str(error), error.__cause__ or error)
    except asyncio.CancelledError as cancelled:  # what was read before it is still written
        if stopping():
            raise
        kind.fail(CANCELLED_INSIDE, cancelled)
    finally:
        if examples is not None:
            await examples.close()


@dataclass
class _Pipeline:
    """One resource's pages, mapped (or skipped as unchanged) and written: the store
    writes one batch while the next pages are mapped."""

    job: ResyncJob
    resource: CompiledResource
    kind: KindReport
    tally: Tally
    produced: set[str]
    book: PageBook | None = None
    """The resource's page records (None: none kept)."""
    claims: PageClaims | None = None
    """Pages waiting for the catalog to tell whether they are unchanged (None: no page
    can be skipped)."""
    fetches: Fetches | None = None
    """The pages fetched and not yet claimed, where live data may race them."""
    writing: int = 0
    """Entities and raw items in the writes under way."""
    loads: deque[asyncio.Task[None]] = field(default_factory=deque)
    """The writes under way (and the catalog's warm-up, see :meth:`warm`), oldest first."""
    pending: _Pending = field(default_factory=_Pending)
    ordered: MapsPages | None = field(init=False)
    """The store, if it takes writes in order (and may map pages): :class:`MapsPages`."""
    preparer: PreparesWrites | None = field(init=False)
    """The store, if it prepares writes ahead: :class:`PreparesWrites`."""
    most: int = field(init=False)
    """Writes under way at once: :data:`WRITES_AT_ONCE` where the catalog makes them in order."""
    handing: MappingSpec | None = field(init=False)
    """The mapping the catalog maps handed pages with (None: every page is mapped here,
    as the catalog cannot map or live events need each entity here)."""

    def __post_init__(self) -> None:
        store = self.job.store  # asked once: a protocol check costs more than a page's lookups
        self.ordered = store if isinstance(store, MapsPages) else None
        self.preparer = store if isinstance(store, PreparesWrites) else None
        in_order = self.ordered is not None or isinstance(store, WritesInOrder)
        self.most = WRITES_AT_ONCE if in_order else 1
        maps = self.ordered is not None and self.job.freshness is None
        maps = maps and not self.resource.deferred  # the catalog cannot resolve those
        maps = maps and self.tally.held is None  # entities it refuses are held here
        maps = maps and not self.resource.searches  # resolved here before the write
        self.handing = MappingSpec.of(self.resource) if maps else None

    def warm(self) -> None:
        """Have a catalog that maps pages get ready to map this resource's while its first
        page is fetched (its first write then only maps and writes)."""
        if self.handing is not None and self.ordered is not None and self.ordered.maps_pages():
            self.loads.append(asyncio.create_task(_warm(self.ordered, self.handing)))

    async def offer(self, batch: RawBatch, fetched_at: float) -> None:
        """Take a page now or, where pages may be skipped, once the catalog has told
        whether it is unchanged (reading on meanwhile, within a bound)."""
        digest, text, clean = self._digest_and_json(batch)
        if not clean:  # a value that is not JSON fails its item, not the resync
            batch, rejected = sift(self.resource.kind, batch, self.kind.extracted - len(batch))
            if rejected:  # a page with a failed item is never remembered, nor handed over
                self.kind.failed += len(rejected)
                keep_errors(self.kind, rejected)
                digest = text = None
        if self.claims is not None:
            await self.claims.offer(batch, digest, text, fetched_at)
        else:
            await self.take(batch, digest, text, fetched_at)

    async def take_page(self, page: Page) -> None:
        await self.take(*page)

    def skip(self, page: ClaimedPage, fetched_at: float) -> None:
        """Count a page skipped as unchanged as its last mapping counted it."""
        if self.fetches is not None:
            self.fetches.done(fetched_at)
        kind, counts = self.kind, page.counts
        kind.mapped += counts["mapped"]
        kind.skipped += counts["skipped"]
        kind.dropped += counts["dropped"]
        kind.filtered_out += counts["filtered_out"]
        kind.misconfigurations.update(page.misconfigured)
        kind.unchanged += page.entities
        kind.unchanged_pages += 1
        self.produced.update(page.blueprints)

    def written(self) -> bool:
        """Whether every page taken has been written."""
        return not self.pending.pages and all(load.done() for load in self.loads)

    def _digest_and_json(self, batch: RawBatch) -> tuple[bytes | None, bytes | None, bool]:
        """The page's digest (None: not to remember it), its JSON if it is handed over,
        and whether it is known to be all JSON (it serialised)."""
        job, hand = self.job, False
        if self.handing is not None and self.writing + self.pending.size < HANDED_BELOW:
            pooled = job.pool is not None and job.pool.wanted(self.resource, len(batch))
            hand = not pooled and self.ordered is not None and self.ordered.maps_pages()
        if self.book is None and not hand:
            return None, None, False
        text, exact = page_json(batch)
        digest = page_digest(text) if self.book is not None else None
        return digest, text if hand and exact else None, text is not None

    async def finish(self) -> None:
        """Take the pages still waiting, then write everything."""
        if self.claims is not None:
            await self.claims.finish()
        await self.flush()

    async def take(
        self, batch: RawBatch, digest: bytes | None, text: bytes | None, fetched_at: float
    ) -> None:
        pending = self.pending
        if self.tally.produced is not None:
            await self.tally.produced.flush()
        if text is not None:
            pending.add(_Handed(digest, text), len(batch), fetched_at)
        else:
            mapped = await self._mapped(batch, digest)
            pending.add(mapped, len(mapped.entities), fetched_at)
        loads, most = self.loads, self.most
        if loads:
            await asyncio.sleep(0)  # let answers in (the handler may never await)
        if pending.size < WRITE_BATCH:
            return  # small pages are written together: one transaction, fewer page writes
        if len(finished(loads)) >= most and pending.size < MAX_PENDING:
            return  # the store is busy: keep mapping, the next write takes it all
        while len(finished(loads)) >= most:
            await asyncio.wait([loads[0]])  # (not cancelled with this task: see stop)
        # The next batches are extracted and mapped while these are written.
        loads.append(asyncio.create_task(self._load(pending)))
        self.pending = _Pending()
        await asyncio.sleep(0)  # let the write start before the next batch is mapped

    async def flush(self) -> None:
        """Write what is left beside the writes under way, as :meth:`take` does (the
        store makes them in order), then wait for them all. None is left running when it
        raises: a write's failure is raised once the others have ended, and a flush that
        is cancelled (the resync was stopped) stops them."""
        loads, failure = self.loads, None
        try:
            if self.pending.pages:  # (an earlier write's failure is raised after this one)
                failure = await room(loads, self.most)
                loads.append(asyncio.create_task(self._load(self.pending)))
                self.pending = _Pending()
            await drained(loads, failure)
        except BaseException:
            await (self.stop() if stopping() else ended(loads))
            raise

    async def stop(self) -> None:
        """The resync was stopped: cancel the writes under way, wait for them to end, and
        write nothing more (what was mapped and not yet sent is dropped)."""
        for load in self.loads:
            load.cancel()
        await ended(self.loads)
        self.pending = _Pending()

    async def _mapped(self, batch: RawBatch, digest: bytes | None) -> _Mapped:
        job, kind = self.job, self.kind
        mapped = await map_page(self.resource, batch, kind, job.pool)
        summary = mapped.summary()
        _count_mapping(kind, summary)
        _remember(mapped.passed, self.tally, self.produced)
        preparer = self.preparer if not self.resource.searches else None  # (resolved first)
        prepared = preparer.prepare_writes(mapped.passed) if preparer is not None else None
        return _Mapped(digest, mapped.passed, prepared, summary)

    async def _load(self, pending: _Pending) -> None:
        job, kind, book = self.job, self.kind, self.book
        started = time.perf_counter()
        self.writing += pending.size
        try:
            if all(type(page) is _Mapped for page in pending.pages):
                outcomes, summaries, entities, times = await _write_mapped(
                    job, pending, kind, searches=self.resource.searches
                )
            else:
                (outcomes, summaries), entities, times = await self._write_handed(pending), [], 0.0
        finally:
            self.writing -= pending.size
        kind.load_seconds += time.perf_counter() - started
        if self.tally.produced is not None:
            self.tally.produced.written(outcomes)
        held = self.tally.held
        counted = outcomes if held is None else held.hold(kind, entities, outcomes, times)
        if self.fetches is not None:  # claimed (those held are held on, by the resync)
            for fetched_at in pending.fetched:
                self.fetches.done(fetched_at)
        count_written(kind, counted)
        if book is not None and summaries is not None:  # none claimed by live data
            await _keep(book, _records(pending, summaries, outcomes))
        job.observer.batch_done(kind)

    async def _write_handed(self, pending: _Pending) -> tuple[list[WriteOutcome], list[MapSummary]]:
        """Write pages some of which the catalog maps; count what it tells of those."""
        job, store, spec = self.job, self.ordered, self.handing
        assert store is not None and spec is not None and job.freshness is None
        parts = [
            page.text if isinstance(page, _Handed) else (page.entities, page.prepared)
            for page in pending.pages
        ]
        outcomes, told = await write_pages(store, spec, parts, owner=job.owner, mapping=job.mapping)
        summaries, handed, start = [], iter(told), 0
        for page in pending.pages:
            summary = page.summary if type(page) is _Mapped else next(handed)
            if type(page) is _Handed:
                _count_mapping(self.kind, summary)
                keys = outcomes[start : start + summary.mapped]
                _remember_keys(
                    [(o.blueprint, o.identifier) for o in keys], self.tally, self.produced
                )
            summaries.append(summary)
            start += summary.mapped
        return outcomes, summaries


def _records(
    pending: _Pending, summaries: list[MapSummary], outcomes: list[WriteOutcome]
) -> list[PageRecord]:
    """The records of the pages of one write that were mapped and written cleanly. A page
    an entity of which a later page of the same write sent again gets none: its entity holds
    the later page's body at the version the write gave both, and a record would skip the
    page as unchanged once the later page no longer sends it."""
    last = {(o.blueprint, o.identifier): place for place, o in enumerate(outcomes)}
    twice = len(last) != len(outcomes)
    records, start = [], 0
    for page, summary in zip(pending.pages, summaries, strict=True):
        written = pending_page(page.digest, start, summary)
        own = outcomes[written.start : written.end]
        if twice and any(last[(o.blueprint, o.identifier)] >= written.end for o in own):
            start = written.end
            continue
        record = record_of(written, own)
        if record is not None:
            records.append(record)
        start = written.end
    return records


async def _keep(book: PageBook, records: list[PageRecord]) -> None:
    try:
        await book.keep(records)
    except Exception as error:  # an optimisation only: the next resync maps these pages
        _log.warning("remembering this resync's pages failed: %s", error)


async def _timed(
    batches: AsyncIterator[RawBatch], kind: KindReport, fetches: Fetches | None
) -> AsyncIterator[tuple[RawBatch, float]]:
    """Each batch with the time its fetch started (:meth:`Freshness.now`), in ``fetches``
    from before the fetch on."""
    while True:
        started, fetched_at = time.perf_counter(), Freshness.now()
        if fetches is not None:
            fetches.add(fetched_at)
        try:
            batch = await anext(batches)
        except BaseException as error:  # no page (the end, a failure): none in flight
            if fetches is not None:
                fetches.done(fetched_at)
            if isinstance(error, StopAsyncIteration):
                return
            raise
        finally:
            kind.extract_seconds += time.perf_counter() - started
        yield batch, fetched_at


async def _warm(store: MapsPages, spec: MappingSpec) -> None:
    """The catalog's warm-up, which never fails the resync: if the catalog cannot answer,
    the first write says so (once)."""
    with contextlib.suppress(Exception):
        await store.warm_pages(spec)


def _count_mapping(kind: KindReport, mapped: MapSummary) -> None:
    kind.mapped += mapped.mapped
    kind.skipped += mapped.skipped
    kind.dropped += mapped.dropped
    kind.failed += len(mapped.errors)
    kind.filtered_out += mapped.filtered_out
    kind.misconfigurations.update(mapped.misconfigurations)
    keep_errors(kind, mapped.errors)


def _remember(entities: list[Entity], tally: Tally, produced: set[str]) -> None:
    _remember_keys([(e["blueprint"], e["identifier"]) for e in entities], tally, produced)


def _remember_keys(keys: Collection[tuple[Any, Any]], tally: Tally, produced: set[str]) -> None:
    """Count these keys as produced by this resync (and their blueprints by this kind)."""
    produced.update({bp if type(bp) is str else str(bp) for bp, _ in keys})
    if tally.produced is not None:
        tally.produced.mapped(keys)


async def _write_mapped(
    job: ResyncJob, pending: _Pending, kind: KindReport, *, searches: bool = False
) -> tuple[list[WriteOutcome], list[MapSummary] | None, list[Entity], list[float] | float]:
    """Write pages mapped here: the outcomes, the pages' summaries unless live data claimed
    some of their entities (the outcomes then no longer line up with pages), the entities
    written and when the data of each was fetched (with live data, each page claims its
    entities as of its own fetch; without, the first page's)."""
    pages = [page for page in pending.pages if type(page) is _Mapped]  # (each one is)
    everything = entities = [entity for page in pages for entity in page.entities]
    times: list[float] | float = pending.fetched[0] if pending.fetched else 0.0
    fresh, idle = job.freshness, contextlib.nullcontext()  # (an empty Freshness is falsy)
    async with fresh.writing(everything) if fresh is not None else idle as unwritten:
        if fresh is not None:
            entities, times = [], []
            for page, at in zip(pages, pending.fetched, strict=True):
                kept, newer = fresh.claim(page.entities, at)
                entities += kept
                times += [at] * len(kept)
                kind.unchanged += newer
        whole = len(entities) == len(everything)
        prepared = _joined([page.prepared for page in pages]) if whole else None
        outcomes = await write_entities(
            job.store,
            entities,
            owner=job.owner,
            mapping=job.mapping,
            prepared=prepared,
            searches=searches,
        )
        if unwritten is not None:  # (what the catalog did not take is not claimed)
            unwritten.failed(entities, outcomes)
    return outcomes, [page.summary for page in pages] if whole else None, entities, times


def _joined(pages: list[PreparedBatch | None]) -> PreparedBatch | None:
    """The pages' prepared entities as one batch, if every page was prepared."""
    complete = [page for page in pages if page is not None]
    return joined(complete) if len(complete) == len(pages) else None
