"""Newest data wins when a resync and live events write the same entity.

A resync maps data it fetched a while ago; a live event fetched its data just now. Both
go through one :class:`Freshness` (one per running integration): under its lock, each
writer drops the entities some other write already set from data fetched later than its
own, then records its own. So a live event racing a resync of the same kind leaves the
catalog in the newest state, whichever write lands last.
"""

from __future__ import annotations

import asyncio
import time

from ocean.types import Entity, EntityKey

HORIZON = 900.0
"""Seconds a write is remembered: far longer than data waits between its fetch and its
write (a resync writes a batch right after mapping it; a live event times out in 90 s)."""


class Freshness:
    def __init__(self, horizon: float = HORIZON) -> None:
        self.lock = asyncio.Lock()
        """Held across :meth:`claim` and the write it allows."""
        self._fetched: dict[EntityKey, float] = {}
        self._horizon, self._next_prune = horizon, self.now() + horizon

    @staticmethod
    def now() -> float:
        """The clock ``fetched_at`` values are read from."""
        return time.monotonic()

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

    def __len__(self) -> int:
        return len(self._fetched)

    def _prune(self) -> None:
        """Forget writes older than the horizon (checked once per horizon), so a process
        that runs for weeks does not remember every entity it ever wrote."""
        now = self.now()
        if now < self._next_prune:
            return
        oldest = now - self._horizon
        self._fetched = {k: at for k, at in self._fetched.items() if at >= oldest}
        self._next_prune = now + self._horizon


def _key(entity: Entity) -> EntityKey:
    return str(entity["blueprint"]), str(entity["identifier"])
