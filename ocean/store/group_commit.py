"""Group commit: writes that arrive while one is in progress wait for it, then go to the
store together, so the commit rate does not cap the write rate."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

T = TypeVar("T")
R = TypeVar("R")


class GroupCommit(Generic[T, R]):
    """``submit(item)`` returns ``write(group)``'s result for that item, where ``group`` is
    every item submitted while the previous group was being written (in order)."""

    def __init__(self, write: Callable[[list[T]], Awaitable[list[R]]]) -> None:
        self._write = write
        self._waiting: list[tuple[T, asyncio.Future[R]]] = []
        self._writing: asyncio.Task[None] | None = None

    async def submit(self, item: T) -> R:
        done: asyncio.Future[R] = asyncio.get_running_loop().create_future()
        self._waiting.append((item, done))
        if self._writing is None or self._writing.done():
            self._writing = asyncio.create_task(self._drain())
        return await done

    async def _drain(self) -> None:
        while self._waiting:
            group, self._waiting = self._waiting, []
            try:
                results = await self._write([item for item, _ in group])
            except Exception as error:  # every caller of the group sees the failure
                _settle(group, [], error)
            except BaseException:  # cancelled (or a write raised CancelledError): no caller
                for _, done in group + self._waiting:  # waits for good, for a group that
                    done.cancel()  # is not written, or for a drain that has ended
                self._waiting = []
                raise
            else:
                _settle(group, results, None)


def _settle(
    group: list[tuple[T, asyncio.Future[R]]], results: list[R], error: Exception | None
) -> None:
    for position, (_, done) in enumerate(group):
        if done.done():
            continue
        if error is not None:
            done.set_exception(error)
        else:
            done.set_result(results[position])
