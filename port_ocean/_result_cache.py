"""What ``port_ocean.utils.cache`` keeps when Ocean runs the integration: one in-memory
provider per process, as in the original, which the ``ocean`` context empties around each
full resync; and a lock per key, so concurrent callers share one call. Apart from
``port_ocean.utils``, whose HTTP client an integration that does not use it should not
pay for."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator
from typing import Any

from port_ocean.cache.memory import InMemoryCacheProvider


class ResultCache:
    def __init__(self) -> None:
        self.storage: dict[str, Any] = {}
        self.provider = InMemoryCacheProvider(self.storage)
        self.locks: dict[str, tuple[asyncio.Lock, asyncio.AbstractEventLoop]] = {}
        self.producers: dict[str, asyncio.Task[Any]] = {}
        """The task computing each key's result now (holding its lock)."""

    def lock(self, key: str) -> asyncio.Lock:
        """The key's lock in the running event loop (a loop of its own per test of an
        integration: a lock waited on in one loop cannot be waited on in another)."""
        loop = asyncio.get_running_loop()
        held = self.locks.get(key)
        if held is None or held[1] is not loop:
            held = self.locks[key] = (asyncio.Lock(), loop)
        return held[0]

    def produced_here(self, key: str) -> bool:
        """Whether the running task is computing ``key``'s result now (asks for it again
        from within: waiting for its own lock would never end)."""
        task = self.producers.get(key)
        return task is not None and task is asyncio.current_task()

    @contextlib.contextmanager
    def producing(self, key: str) -> Iterator[None]:
        """Within: the running task computes ``key``'s result."""
        task = asyncio.current_task()
        if task is not None:
            self.producers[key] = task
        try:
            yield
        finally:
            if self.producers.get(key) is task:
                del self.producers[key]

    def forget_all(self) -> None:
        """Drop every result, and the locks no caller holds."""
        self.storage[InMemoryCacheProvider.CACHE_KEY].clear()
        self.locks = {key: held for key, held in self.locks.items() if held[0].locked()}


results = ResultCache()
