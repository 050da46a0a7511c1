"""Fan-in and bounded concurrency for async calls (``port_ocean.utils.async_iterators``)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import (
    AsyncGenerator,
    AsyncIterable,
    AsyncIterator,
    Awaitable,
    Callable,
    Iterable,
    Iterator,
)
from typing import Any, TypeVar

from port_ocean._unsupported import missing

T = TypeVar("T")


class _Finished:
    """An iterator of :func:`_merged` is done (``error``: how it failed)."""

    __slots__ = ("error",)

    def __init__(self, error: Exception | None) -> None:
        self.error = error


async def _drain(iterator: AsyncIterable[T], queue: asyncio.Queue[T | _Finished]) -> None:
    """Put the iterator's items on ``queue``, then how it finished."""
    error = None
    try:
        async for item in iterator:
            await queue.put(item)
    except asyncio.CancelledError:
        if isinstance(iterator, AsyncGenerator):
            await iterator.aclose()  # its own cleanup runs now, not when collected
        raise
    except Exception as failure:
        error = failure
    await queue.put(_Finished(error))


async def _merged(
    iterators: tuple[AsyncIterable[T], ...], errors: list[Exception] | None
) -> AsyncGenerator[T, None]:
    """Items of all ``iterators`` as they come, run concurrently. A failure is raised at
    once (the others are cancelled), or, given ``errors``, collected there while the
    others go on."""
    queue: asyncio.Queue[T | _Finished] = asyncio.Queue(maxsize=max(2 * len(iterators), 32))
    tasks = [asyncio.create_task(_drain(iterator, queue)) for iterator in iterators]
    try:
        remaining = len(tasks)
        while remaining:
            item = await queue.get()
            if not isinstance(item, _Finished):
                yield item
                continue
            remaining -= 1
            if item.error is None:
                continue
            if errors is None:
                raise item.error
            errors.append(item.error)
    finally:
        for task in tasks:
            task.cancel()
        # asyncio.wait always gives the loop a turn (gather of finished tasks may not), so
        # tasks the consumer started on the last items begin before the stream ends, as in
        # the original.
        if tasks:
            await asyncio.wait(tasks)
        await asyncio.gather(*tasks, return_exceptions=True)


_NO_MORE = object()
_ENTER = object()
"""The key of the task entering the next iterator in :func:`_merged_lazily`."""


async def _next_source(sources: Iterator[AsyncIterable[T]]) -> Any:
    await asyncio.sleep(0)  # as aiostream's iterate, which enters them one loop turn apart
    return next(sources, _NO_MORE)


async def _next_item(iterator: AsyncIterator[T]) -> T:
    return await anext(iterator)


async def _merged_lazily(iterators: tuple[AsyncIterable[T], ...]) -> AsyncGenerator[T, None]:
    """The original's ``aiostream.stream.merge``: the iterators are entered one loop turn
    apart; each is asked for its next item only once its last was taken; when several
    are ready, the one entered first is taken first. A failure stops the others."""
    sources = iter(iterators)
    entered: list[AsyncIterator[T]] = []
    tasks: dict[object, asyncio.Future[Any]] = {
        _ENTER: asyncio.ensure_future(_next_source(sources))
    }
    try:
        while tasks:
            order = [s for s in entered if s in tasks] + [_ENTER] * (_ENTER in tasks)
            done, _ = await asyncio.wait([tasks[s] for s in order], return_when="FIRST_COMPLETED")
            source = next(s for s in order if tasks[s] in done)
            try:
                result = tasks.pop(source).result()
            except StopAsyncIteration:  # that iterator is done
                continue
            if source is not _ENTER:
                yield result
                tasks[source] = asyncio.ensure_future(_next_item(source))  # type: ignore[arg-type]
            elif result is not _NO_MORE:
                entered.append(aiter(result))
                tasks[entered[-1]] = asyncio.ensure_future(_next_item(entered[-1]))
                tasks[_ENTER] = asyncio.ensure_future(_next_source(sources))
    finally:
        await _stop(tasks.values(), entered)


async def _stop(tasks: Iterable[asyncio.Future[Any]], iterators: list[AsyncIterator[Any]]) -> None:
    """Cancel ``tasks`` and wait for them, then close ``iterators``."""
    pending = list(tasks)
    for task in pending:
        task.cancel()
    await asyncio.gather(*pending, return_exceptions=True)
    for iterator in iterators:
        if isinstance(iterator, AsyncGenerator):
            with contextlib.suppress(Exception):
                await iterator.aclose()


async def stream_async_iterators_tasks(*iterators: AsyncIterable[Any]) -> AsyncIterator[Any]:
    """Yield items from all ``iterators`` as they come, running them concurrently; the first
    failure is raised at once and stops the others. As the original's (aiostream's
    ``merge``), an iterator is asked for its next item once its last was taken; one
    iterator alone is iterated as it is."""
    if len(iterators) == 1:
        async for item in iterators[0]:
            yield item
        return
    async with contextlib.aclosing(_merged_lazily(iterators)) as items:
        async for item in items:
            yield item


async def stream_independent_async_iterators(
    *iterators: AsyncIterable[T], context: str
) -> AsyncIterator[T]:
    """As :func:`stream_async_iterators_tasks`, but one iterator failing does not stop the
    others: once they are done, the failures are raised together in an
    ``ExceptionGroup`` named by ``context``."""
    errors: list[Exception] = []
    async with contextlib.aclosing(_merged(iterators, errors)) as items:
        async for item in items:
            yield item
    if errors:
        raise ExceptionGroup(f"{context} failed with {len(errors)} error(s)", errors)


async def semaphore_async_iterator(
    semaphore: asyncio.Semaphore, function: Callable[[], AsyncIterator[T]]
) -> AsyncIterator[T]:
    """Run the iterator ``function()`` makes while holding ``semaphore``."""
    async with semaphore:
        async for item in function():
            yield item


async def throttle_batch_operation(
    operations: Iterable[Callable[[], Awaitable[T]]], concurrency: int
) -> list[T]:
    """Await each operation, at most ``concurrency`` at a time; results in their order."""
    if concurrency < 1:
        raise ValueError(f"concurrency must be at least 1, not {concurrency}")
    semaphore = asyncio.Semaphore(concurrency)

    async def run(operation: Callable[[], Awaitable[T]]) -> T:
        async with semaphore:
            return await operation()

    return list(await asyncio.gather(*(run(operation) for operation in operations)))


async def find_first_match_in_generator(
    generator: AsyncIterator[list[T]], match: Callable[[T], bool]
) -> T | None:
    """The first item of the batches ``generator`` yields that ``match`` accepts."""
    async for batch in generator:
        for item in batch:
            if match(item):
                return item
    return None


__getattr__ = missing(__name__)
