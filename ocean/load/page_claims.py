"""Asking the catalog, a group of pages at a time, which pages are unchanged since the
last resync (see :mod:`ocean.load.page_memo`), while the pages before them are mapped and
written: used by :mod:`ocean.kind_sync` for each resource.

Pages are taken in the order they came. Where the catalog answers as it is when asked
(:attr:`PageBook.ordered`), a page found unchanged is skipped only if every page before
it that was mapped had been written when the question was asked: else (a write since
may have changed its entities) it and the pages after it are asked about again, once
everything before them is written.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from ocean.errors import LeaseLostError
from ocean.job import ResyncJob, Tally
from ocean.load.page_memo import CatalogBook, PageBook, PageMemo, fingerprint
from ocean.store.base import RemembersPages
from ocean.store.page_records import ClaimedPage, ClaimsPages, PageShelf
from ocean.transform.mapper import CompiledResource
from ocean.types import RawBatch

_log = logging.getLogger(__name__)
CLAIM_ITEMS = 2000
"""Raw items whose pages the catalog is asked about at once."""
CLAIMS_AHEAD = 2
"""Groups of pages asked about while the pages before them are mapped and written."""

Page = tuple[RawBatch, bytes | None, bytes | None, float]
"""A raw page, its digest (None: not to be remembered), its JSON when it is handed to
the catalog to map (else None) and when its fetch started."""
_Claim = tuple[list[Page], "asyncio.Task[dict[bytes, ClaimedPage]]", int | None]
"""Pages asked about, the catalog's answer, and how many pages had been mapped when it
was asked, if every write before had been answered (else None)."""


@dataclass
class PageClaims:
    """The pages of one resource waiting for the catalog's answer."""

    book: PageBook
    take: Callable[[Page], Awaitable[None]]
    """Map and write a page (counted as mapped here)."""
    skip: Callable[[ClaimedPage, float], None]
    """Count a page skipped as unchanged (and when it was fetched)."""
    flush: Callable[[], Awaitable[None]]
    """Write everything taken so far and wait for it."""
    written: Callable[[], bool]
    """Whether every page taken so far has been written."""
    group: list[Page] = field(default_factory=list)
    grouped: int = 0
    """Raw items in ``group``."""
    claims: deque[_Claim] = field(default_factory=deque)
    """Groups asked about, oldest first."""
    mapped: int = 0
    """Pages taken (not skipped) so far."""

    async def offer(
        self, batch: RawBatch, digest: bytes | None, text: bytes | None, at: float
    ) -> None:
        # A copy: a handler may clear and refill the list it yielded for its next page.
        self.group.append((list(batch), digest, text, at))
        self.grouped += len(batch)
        if self.grouped >= CLAIM_ITEMS:
            await self._ask_group()

    async def finish(self) -> None:
        """Take or skip every page still waiting."""
        await self._ask_group()
        while self.claims:
            await self._take_claimed()

    def abandon(self) -> None:
        for _, answer, _ in self.claims:
            answer.cancel()
            answer.add_done_callback(_taken)
        self.claims.clear()
        self.group, self.grouped = [], 0

    async def _ask_group(self) -> None:
        group, self.group, self.grouped = self.group, [], 0
        if group:
            self.claims.append(self._asked(group))
            await asyncio.sleep(0)  # let the question reach the store before the next pages
        while len(self.claims) > CLAIMS_AHEAD:
            await self._take_claimed()

    def _asked(self, group: list[Page]) -> _Claim:
        digests = [page[1] for page in group if page[1] is not None]
        answer = asyncio.create_task(self._claim(digests))
        return group, answer, self.mapped if self.written() else None

    async def _claim(self, digests: list[bytes]) -> dict[bytes, ClaimedPage]:
        if not digests:
            return {}
        try:
            return await self.book.claim(digests)
        except Exception as error:  # an optimisation only: map the pages instead
            _log.warning("asking the catalog about unchanged pages failed: %s", error)
            return {}

    async def _take_claimed(self) -> None:
        group, answer, mapped = self.claims.popleft()
        ordered = self.book.ordered
        while group:
            found, rest = await answer, list[Page]()
            for index, page in enumerate(group):
                hit = found.get(page[1]) if page[1] is not None else None
                if hit is not None and (not ordered or mapped == self.mapped):
                    self.skip(hit, page[3])
                elif hit is not None:  # asked before a write now done: ask again
                    rest = group[index:]
                    break
                else:
                    self.mapped += 1
                    await self.take(page)
            if rest:
                await self.flush()
                rest, answer, mapped = self._asked(rest)
            group = rest


async def open_book(job: ResyncJob, resource: CompiledResource, tally: Tally) -> PageBook | None:
    """The resource's page records, where the catalog keeps them and the mapping is a pure
    function of the page (None: every page is mapped, nothing is kept)."""
    mark = _memo_mark(job, resource, tally)
    store, produced = job.store, tally.produced
    if mark is None:
        return None
    if isinstance(store, ClaimsPages) and produced is not None and produced.catalog is not None:
        shelf = PageShelf(job.owner, *mark, run=produced.run, fence=job.fence)
        produced.marked_in_catalog()  # the records used are marked under the run
        try:
            return CatalogBook(store, shelf, claims=await store.open_pages(shelf))
        except Exception as error:  # an optimisation only: map every page instead
            _log.warning("asking the catalog about the last resync's pages failed: %s", error)
            return CatalogBook(store, shelf, claims=False)
    assert isinstance(store, RemembersPages)  # see _memo_mark
    try:
        records = await store.recall_pages(job.owner, *mark)
    except Exception as error:  # an optimisation only: map every page instead
        _log.warning("recalling the last resync's pages failed, mapping them all: %s", error)
        records = []
    return PageMemo(store, job.owner, *mark, {r.digest: r for r in records}, produced)


def _memo_mark(job: ResyncJob, resource: CompiledResource, tally: Tally) -> tuple[str, str] | None:
    """The slot and fingerprint of this resource's page records, where the catalog keeps
    them and the mapping is a pure function of the page."""
    store = job.store
    if not job.skip_unchanged_pages or not isinstance(store, RemembersPages):
        return None
    if resource.deferred:  # what the integration resolves may change while the page does not
        return None
    if resource.searches:  # what a search query finds may change while the page does not
        return None
    if not store.remembers_pages():
        return None
    flags = {
        "merge": job.mapping.enable_merge_entity,
        "create_missing_related": job.mapping.create_missing_related_entities,
    }
    mark = fingerprint(resource, flags, tally.blueprints)
    return None if mark is None else (f"{resource.index}:{resource.kind}", mark)


async def settle(book: PageBook) -> None:
    """Drop the records the run did not use (or write those kept, :class:`PageMemo`)."""
    try:
        await book.settle()
    except LeaseLostError as error:  # its fenced deletion stops it too
        _log.warning("kept the unused page records: %s", error)
    except Exception as error:  # the resync itself is done; the next one maps more pages
        _log.warning("remembering this resync's pages failed: %s", error)


def _taken(task: asyncio.Future[Any]) -> None:
    """Take a task's outcome, so that asyncio does not log it as never retrieved."""
    if not task.cancelled():
        task.exception()
