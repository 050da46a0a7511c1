"""Fan-in of async generators (``port_ocean.utils.async_iterators``)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

from port_ocean._unsupported import missing

_DONE = object()


async def stream_async_iterators_tasks(*iterators: AsyncIterator[Any]) -> AsyncIterator[Any]:
    """Yield items from all ``iterators`` as they come, running them concurrently."""
    queue: asyncio.Queue[Any] = asyncio.Queue(maxsize=len(iterators) or 1)

    async def drain(iterator: AsyncIterator[Any]) -> None:
        try:
            async for item in iterator:
                await queue.put(item)
        finally:
            await queue.put(_DONE)

    tasks = [asyncio.create_task(drain(iterator)) for iterator in iterators]
    try:
        remaining = len(tasks)
        while remaining:
            item = await queue.get()
            if item is _DONE:
                remaining -= 1
            else:
                yield item
        for task in tasks:
            task.result()
    finally:
        for task in tasks:
            task.cancel()


__getattr__ = missing(__name__)
