"""The writes of one kind's pages under way (:mod:`ocean.kind_sync`), oldest first: each an
:class:`asyncio.Task`, waited for in order, none left running unwatched when the kind
ends, fails or is stopped."""

from __future__ import annotations

import asyncio
from collections import deque

Loads = deque[asyncio.Task[None]]


async def drained(loads: Loads) -> None:
    """Wait for every write under way, then raise the first one's error, if any."""
    failure: BaseException | None = None
    while loads:
        try:
            await asyncio.shield(loads[0])  # (a cancelled flush cancels them itself)
        except Exception as error:
            failure = failure or error
        except asyncio.CancelledError:
            if not loads[0].cancelled():
                raise  # this flush was cancelled
            failure = failure or asyncio.CancelledError()
        loads.popleft()
    if failure is not None:
        raise failure


async def ended(loads: Loads) -> None:
    """Wait for every write under way to end, whatever its outcome."""
    await asyncio.gather(*loads, return_exceptions=True)
    loads.clear()


def stopping() -> bool:
    """Whether the running task is being cancelled (not merely a write of it)."""
    task = asyncio.current_task()
    return task is not None and task.cancelling() > 0


def finished(loads: Loads) -> Loads:
    """``loads`` without the finished writes at its head (their errors raised)."""
    while loads and loads[0].done():
        loads.popleft().result()
    return loads
