"""Newest data wins when a resync and live events write the same entity.

A resync maps data it fetched a while ago; a live event fetched its data just now. Both
go through one :class:`Freshness` (one per running integration): under its lock, each
writer drops the entities some other write already set from data fetched later than its
own, then records its own. So a live event racing a resync of the same kind leaves the
catalog in the newest state, whichever write lands last.

A write recorded at ``t`` only matters to data fetched before ``t`` that is still to be
claimed. Writers say what they hold (:meth:`Freshness.fetches`: the resync's pages from
before their fetch to their claim, a live event from its start to its write's end), so a
write is forgotten as soon as nothing older is in flight, rather than after the horizon:
the memory follows what is in flight, not every entity written in the last 15 minutes.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import weakref
from collections import Counter
from collections.abc import AsyncIterator, Callable, Iterator

from ocean.store.base import WriteOutcome
from ocean.types import Entity, EntityKey

HORIZON = 900.0
"""Seconds a write is remembered at most: far longer than data waits between its fetch and
its write (a resync writes a batch right after mapping it; a live event times out in 90 s);
a writer that says what it holds lets its writes be forgotten sooner."""
PRUNE_EVERY = 1.0
"""Seconds between two looks for writes no data in flight is older than."""
PRUNE_AT_LEAST = 4096
"""Writes remembered before a look is worth its cost."""
PRUNE_GROWTH = 2.0
"""A look goes over every write remembered: it is made once the oldest data in flight is
newer than at the last look, or the writes are this many times those it kept, or after the
horizon; so data in flight for long (a live write retried while the catalog is down) costs
a look per doubling, not one a second."""


class Fetches:
    """Data one writer fetched and has not claimed yet, by when it was fetched: while it
    is open, :class:`Freshness` remembers every write newer than the oldest of it."""

    def __init__(self, owner: Freshness) -> None:
        self._at: Counter[float] = Counter()
        self._owner = owner

    def add(self, at: float) -> None:
        """Data fetched at ``at`` (or later) is on its way to a claim."""
        self._at[at] += 1

    def done(self, at: float) -> None:
        """Data added at ``at`` was claimed (or dropped)."""
        left = self._at[at] - 1
        if left > 0:
            self._at[at] = left
        else:
            self._at.pop(at, None)

    def oldest(self) -> float | None:
        return min(self._at, default=None)

    def close(self) -> None:
        """Nothing more of this writer's is in flight (a writer that never closes holds
        nothing once it is collected)."""
        self._at.clear()
        self._owner.closed(self)


class Freshness:
    def __init__(self, horizon: float = HORIZON, clock: Callable[[], float] | None = None) -> None:
        self.lock = asyncio.Lock()
        """Held across :meth:`claim` and the write it allows."""
        self._fetched: dict[EntityKey, float] = {}
        self._open: weakref.WeakSet[Fetches] = weakref.WeakSet()
        self._clock = clock or Freshness.now
        self._horizon = horizon
        self._next_look = self._clock() + min(PRUNE_EVERY, horizon)
        self._next_prune = self._clock() + horizon
        self._kept = 0
        self._cut = float("-inf")
        """The last look's cut: writes older than it were forgotten."""

    def outlast(self, seconds: float) -> None:
        """Remember writes at least ``seconds`` (a writer may hold data that long: a live
        event's handling and its write's retries), the horizon being the bound of what an
        open writer holds."""
        if seconds > self._horizon:
            self._horizon = seconds
            self._next_prune = self._clock() + seconds

    @staticmethod
    def now() -> float:
        """The clock ``fetched_at`` values are read from."""
        return time.monotonic()

    def fetches(self) -> Fetches:
        """A writer's data in flight (close it when the writer is done)."""
        fetches = Fetches(self)
        self._open.add(fetches)
        return fetches

    @contextlib.contextmanager
    def holding(self, at: float) -> Iterator[Fetches]:
        """A writer's data fetched from ``at`` on, in flight until the block ends."""
        fetches = self.fetches()
        fetches.add(at)
        try:
            yield fetches
        finally:
            fetches.close()

    def closed(self, fetches: Fetches) -> None:
        self._open.discard(fetches)

    def claim(self, entities: list[Entity], fetched_at: float) -> tuple[list[Entity], int]:
        """The entities that no newer data has been written for (recorded as written now
        from data fetched at ``fetched_at``), and how many were dropped."""
        self._prune()
        kept = [e for e in entities if self._fetched.get(_key(e), fetched_at) <= fetched_at]
        for entity in kept:
            self._fetched[_key(entity)] = fetched_at
        return kept, len(entities) - len(kept)

    def claim_keys(self, keys: list[EntityKey], fetched_at: float) -> list[EntityKey]:
        """As :meth:`claim`, for keys to delete."""
        self._prune()
        kept = [key for key in keys if self._fetched.get(key, fetched_at) <= fetched_at]
        self._fetched.update((key, fetched_at) for key in kept)
        return kept

    def recorded(self, keys: list[EntityKey]) -> dict[EntityKey, float | None]:
        """What is recorded for ``keys`` now (None: nothing), for :meth:`restore`."""
        return {key: self._fetched.get(key) for key in keys}

    def restore(self, recorded: dict[EntityKey, float | None]) -> None:
        """Take back the claims made since :meth:`recorded` (a write that failed: what it
        claimed was not written, so a write of older data may still land)."""
        for key, at in recorded.items():
            if at is None:
                self._fetched.pop(key, None)
            else:
                self._fetched[key] = at

    @contextlib.asynccontextmanager
    async def writing(self, entities: list[Entity]) -> AsyncIterator[Unwritten]:
        """The :attr:`lock` held for claims of ``entities`` and the write they allow; the
        claims are taken back if the block raises an error, and for those
        :meth:`Unwritten.failed` names: what the catalog did not take must not drop live
        data fetched before it."""
        async with self.lock:
            unwritten = Unwritten(self, self.recorded([_key(entity) for entity in entities]))
            try:
                yield unwritten
            except Exception:
                self.restore(unwritten.before)
                raise

    def __len__(self) -> int:
        return len(self._fetched)

    def _prune(self) -> None:
        """Forget the writes no data in flight is older than (what every open writer holds
        was fetched later: none of it can be dropped for them), and in any case those older
        than the horizon, so a process that runs for weeks does not remember every entity
        it ever wrote."""
        now = self._clock()
        if now < self._next_look:
            return
        self._next_look = now + min(PRUNE_EVERY, self._horizon)
        if len(self._fetched) < PRUNE_AT_LEAST and now < self._next_prune:
            return
        held = [at for fetches in list(self._open) if (at := fetches.oldest()) is not None]
        cut = max(min(held, default=now), now - self._horizon)
        grown = len(self._fetched) >= PRUNE_GROWTH * self._kept
        if not grown and cut <= self._cut and now < self._next_prune:
            return  # (a writer holding old data for long: a look per doubling)
        self._fetched = {k: at for k, at in self._fetched.items() if at >= cut}
        self._kept, self._cut = len(self._fetched), cut
        if now >= self._next_prune:
            self._next_prune = now + self._horizon


class Unwritten:
    """What a write's entities were recorded at before it claimed them."""

    def __init__(self, owner: Freshness, before: dict[EntityKey, float | None]) -> None:
        self._owner, self.before = owner, before

    def failed(self, entities: list[Entity], outcomes: list[WriteOutcome]) -> None:
        """Take back the claims of the entities the write failed (none of their outcomes
        ``ok``: not written), ``outcomes`` being those of ``entities``."""
        if all(outcome.ok for outcome in outcomes):
            return
        written = {_key(entities[outcome.index]) for outcome in outcomes if outcome.ok}
        failed = {_key(entities[outcome.index]) for outcome in outcomes if not outcome.ok}
        self._owner.restore(
            {key: self.before[key] for key in failed - written if key in self.before}
        )


def _key(entity: Entity) -> EntityKey:
    return str(entity["blueprint"]), str(entity["identifier"])
