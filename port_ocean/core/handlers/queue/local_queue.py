"""``LocalQueue``: an ``asyncio.Queue`` behind :class:`AbstractQueue`."""

from __future__ import annotations

import asyncio
from typing import TypeVar

from port_ocean._unsupported import missing
from port_ocean.core.handlers.queue.abstract_queue import AbstractQueue

T = TypeVar("T")


class LocalQueue(AbstractQueue[T]):
    def __init__(self, name: str | None = None) -> None:
        super().__init__(name)
        self._queue: asyncio.Queue[T] = asyncio.Queue()

    async def put(self, item: T) -> None:
        await self._queue.put(item)

    async def get(self) -> T:
        return await self._queue.get()

    async def commit(self) -> None:
        self._queue.task_done()

    async def size(self) -> int:
        return self._queue.qsize()

    async def teardown(self) -> None:
        await self._queue.join()


__all__ = ["LocalQueue"]
__getattr__ = missing(__name__)
