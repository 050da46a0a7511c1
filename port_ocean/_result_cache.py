"""What ``port_ocean.utils.cache`` keeps: one store per process, as in the original, which
the ``ocean`` context empties around each full resync. Apart from ``port_ocean.utils``, whose
HTTP client an integration that does not use it should not pay for."""

from __future__ import annotations

import asyncio
from typing import Any


class ResultCache:
    """Cached results by key, and a lock per key so concurrent callers share one call."""

    def __init__(self) -> None:
        self.values: dict[str, Any] = {}
        self.locks: dict[str, asyncio.Lock] = {}

    def lock(self, key: str) -> asyncio.Lock:
        return self.locks.setdefault(key, asyncio.Lock())

    def forget_all(self) -> None:
        """Drop every result, and the locks no caller holds."""
        self.values.clear()
        self.locks = {key: lock for key, lock in self.locks.items() if lock.locked()}


results = ResultCache()
