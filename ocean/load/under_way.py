"""The writes of one kind's pages under way (:mod:`ocean.kind_sync`), oldest first: each an
:class:`asyncio.Task`, waited for in order, none left running unwatched when the kind
ends, fails or is stopped."""

from __future__ import annotations

import asyncio
from collections import deque

from ocean.errors import StoreError

Loads = deque[asyncio.Task[None]]


def finished(loads: Loads) -> Loads:
    """``loads`` without the finished writes at its head (their errors raised)."""
    while loads and loads[0].done():
        _outcome(loads.popleft())
    return loads


async def room(loads: Loads, most: int) -> BaseException | None:
    """Wait until fewer than ``most`` writes are under way; the first error of those that
    ended meanwhile is returned, not raised (the caller still writes what it holds)."""
    failure = None
    while len(loads) >= most:
        error = await _ended_first(loads)
        failure = failure or error
    return failure


async def drained(loads: Loads, failure: BaseException | None = None) -> None:
    """Wait for every write under way, then raise ``failure`` or else the first write's
    error, if any."""
    error = await room(loads, 1)
    failure = failure or error  # (not short-circuited: every write ends first)
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


async def _ended_first(loads: Loads) -> BaseException | None:
    """Wait for the oldest write to end, take it off ``loads`` and return its error. The
    wait is shielded: a caller being cancelled stops the writes itself (``stop``)."""
    await asyncio.wait([loads[0]])
    try:
        _outcome(loads.popleft())
    except Exception as error:
        return error
    return None


def _outcome(load: asyncio.Task[None]) -> None:
    """Raise the ended write's error; a write cancelled on its own, the resync not
    stopped, is an error of the catalog's, not the resync's cancellation."""
    if load.cancelled():
        raise StoreError(
            "a write to the catalog was cancelled before it ended; the next resync writes "
            "its entities again"
        )
    load.result()
