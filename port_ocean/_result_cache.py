"""What ``port_ocean.utils.cache`` keeps when Ocean runs the integration: one in-memory
provider per process, as in the original, which the ``ocean`` context empties around each
full resync; and a lock per key, so concurrent callers share one call. Apart from
``port_ocean.utils``, whose HTTP client an integration that does not use it should not
pay for."""

from __future__ import annotations

import asyncio
from typing import Any

from port_ocean.cache.memory import InMemoryCacheProvider


class ResultCache:
    def __init__(self) -> None:
        self.storage: dict[str, Any] = {}
        self.provider = InMemoryCacheProvider(self.storage)
        self.locks: dict[str, asyncio.Lock] = {}

    def lock(self, key: str) -> asyncio.Lock:
        return self.locks.setdefault(key, asyncio.Lock())

    def forget_all(self) -> None:
        """Drop every result, and the locks no caller holds."""
        self.storage[InMemoryCacheProvider.CACHE_KEY].clear()
        self.locks = {key: lock for key, lock in self.locks.items() if lock.locked()}


results = ResultCache()
