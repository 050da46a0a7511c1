"""The original's fan-in and bounded-concurrency helpers, as integrations call them."""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import AsyncIterator

import pytest

from port_ocean.utils.async_iterators import (
    find_first_match_in_generator,
    semaphore_async_iterator,
    stream_async_iterators_tasks,
    stream_independent_async_iterators,
    throttle_batch_operation,
)
from port_ocean.utils.queue_utils import process_in_queue


class Pages:
    """Async page iterators that record how many run at once and which were stopped."""

    def __init__(self) -> None:
        self.running = 0
        self.most_at_once = 0
        self.stopped: list[str] = []

    async def pages(
        self, name: str, count: int, fail_after: int | None = None
    ) -> AsyncIterator[str]:
        self.running += 1
        self.most_at_once = max(self.most_at_once, self.running)
        outcome = "stopped"
        try:
            for number in range(count):
                if number == fail_after:
                    outcome = "failed"
                    raise RuntimeError(f"{name} broke")
                await asyncio.sleep(0.001)
                yield f"{name}{number}"
            outcome = "done"
        finally:
            self.running -= 1
            if outcome == "stopped":
                self.stopped.append(name)


async def test_streamed_iterators_run_together_and_give_every_item() -> None:
    pages = Pages()

    items = [
        i async for i in stream_async_iterators_tasks(pages.pages("a", 3), pages.pages("b", 3))
    ]

    assert sorted(items) == ["a0", "a1", "a2", "b0", "b1", "b2"]
    assert pages.most_at_once == 2


async def test_a_failing_iterator_stops_the_stream_and_the_others_at_once() -> None:
    pages = Pages()

    with pytest.raises(RuntimeError, match="a broke"):
        async for _ in stream_async_iterators_tasks(
            pages.pages("a", 3, 1), pages.pages("b", 10**6)
        ):
            pass

    assert pages.stopped == ["b"]


async def test_independent_iterators_finish_before_their_failures_are_raised_together() -> None:
    pages = Pages()
    items = []

    with pytest.raises(ExceptionGroup, match="repos failed with 2 error") as raised:
        async for item in stream_independent_async_iterators(
            pages.pages("a", 3, 0), pages.pages("b", 3), pages.pages("c", 3, 2), context="repos"
        ):
            items.append(item)

    assert sorted(items) == ["b0", "b1", "b2", "c0", "c1"]
    assert sorted(str(e) for e in raised.value.exceptions) == ["a broke", "c broke"]


async def test_leaving_a_stream_early_stops_its_iterators() -> None:
    pages = Pages()
    stream = stream_async_iterators_tasks(pages.pages("a", 10**6), pages.pages("b", 10**6))

    async for _ in stream:
        if pages.running == 2:  # both started (aiostream enters them one loop turn apart)
            break
    await stream.aclose()  # type: ignore[attr-defined]

    assert sorted(pages.stopped) == ["a", "b"]


async def test_a_semaphore_bounds_how_many_iterators_run_at_once() -> None:
    pages, semaphore = Pages(), asyncio.BoundedSemaphore(2)
    bounded = [
        semaphore_async_iterator(semaphore, functools.partial(pages.pages, name, 3))
        for name in "abcde"
    ]

    items = [item async for item in stream_async_iterators_tasks(*bounded)]

    assert (len(items), pages.most_at_once) == (15, 2)


async def test_throttled_operations_keep_their_order_and_the_bound() -> None:
    running, most = 0, 0

    async def square(n: int) -> int:
        nonlocal running, most
        running += 1
        most = max(most, running)
        await asyncio.sleep(0.001 * (10 - n))
        running -= 1
        return n * n

    results = await throttle_batch_operation([functools.partial(square, n) for n in range(10)], 3)

    assert (results, most) == ([n * n for n in range(10)], 3)


async def test_a_concurrency_below_one_is_refused() -> None:
    with pytest.raises(ValueError, match="at least 1, not 0"):
        await throttle_batch_operation([], 0)


async def test_process_in_queue_gives_results_in_the_order_they_finished() -> None:
    """As the original's: each item here finishes only once the next one has."""
    finished = {n: asyncio.Event() for n in (1, 2, 3, 4)}

    async def add(n: int, more: int) -> int:
        if n < 4:
            await finished[n + 1].wait()
        finished[n].set()
        return n + more

    assert await process_in_queue([1, 2, 3, 4], add, 10, concurrency=4) == [14, 13, 12, 11]


async def test_process_in_queue_runs_at_most_its_concurrency_at_once() -> None:
    running, most = 0, 0

    async def square(n: int) -> int:
        nonlocal running, most
        running += 1
        most = max(most, running)
        await asyncio.sleep(0)
        running -= 1
        return n * n

    results = await process_in_queue(list(range(10)), square, concurrency=3)

    assert (sorted(results), most) == ([n * n for n in range(10)], 3)


async def test_process_in_queue_processes_every_item_before_raising_the_failures(
    caplog: pytest.LogCaptureFixture,
) -> None:
    done = []

    async def handle(n: int) -> int:
        if n % 2:
            raise ValueError(f"odd {n}")
        done.append(n)
        return n

    with pytest.raises(ExceptionGroup, match="2 of 4 tasks failed") as raised:
        await process_in_queue([1, 2, 3, 4], handle)

    assert sorted(done) == [2, 4]
    assert sorted(str(e) for e in raised.value.exceptions) == ["odd 1", "odd 3"]
    logged = sorted(r.getMessage() for r in caplog.records if r.levelno == logging.ERROR)
    assert logged == ["Error processing task: odd 1", "Error processing task: odd 3"]


@pytest.mark.parametrize(
    ("batches", "found"),
    [([[1, 3], [4, 6]], 4), ([[1], [3, 5]], None), ([], None)],
)
async def test_the_first_match_across_batches(batches: list[list[int]], found: int | None) -> None:
    async def generator() -> AsyncIterator[list[int]]:
        for batch in batches:
            yield batch

    assert await find_first_match_in_generator(generator(), lambda n: n % 2 == 0) == found


async def test_a_task_started_on_the_last_item_runs_before_the_stream_ends() -> None:
    from port_ocean.utils.async_iterators import stream_independent_async_iterators

    started: list[str] = []

    async def one(name: str) -> AsyncIterator[str]:
        yield name

    async def note(name: str) -> None:
        started.append(name)

    seen_at_end: list[str] = []
    tasks = []
    async for name in stream_independent_async_iterators(one("a"), one("b"), context="t"):
        tasks.append(asyncio.create_task(note(name)))
    seen_at_end = list(started)  # the original gives started tasks a turn before it ends
    await asyncio.gather(*tasks)

    assert sorted(seen_at_end) == ["a", "b"]


async def test_a_streamed_iterator_is_asked_for_its_next_item_only_once_the_last_was_taken() -> (
    None
):
    """The original's ``stream_async_iterators_tasks`` (aiostream's ``merge``) asks each
    iterator for its next item only when the consumer has taken the one before: a slow
    consumer, or one that leaves early, does not make the iterators fetch pages ahead."""
    made = {"a": 0, "b": 0}

    async def counting(name: str) -> AsyncIterator[str]:
        for number in range(100):
            made[name] += 1
            await asyncio.sleep(0)
            yield f"{name}{number}"

    stream = stream_async_iterators_tasks(counting("a"), counting("b"))
    taken = []
    async for item in stream:
        taken.append(item)
        await asyncio.sleep(0.001)
        if len(taken) == 3:
            break
    await stream.aclose()  # type: ignore[attr-defined]

    assert sum(made.values()) <= len(taken) + 2  # at most one item being made per iterator


async def test_items_ready_at_once_come_in_the_order_the_iterators_were_given() -> None:
    """As aiostream's ``merge`` (the original's), iterators that never wait on I/O (the
    mocks of integrations' tests) give their items iterator by iterator, not in turns."""

    async def batches(name: str) -> AsyncIterator[str]:
        for number in range(3):
            await asyncio.sleep(0)
            yield f"{name}{number}"

    items = [i async for i in stream_async_iterators_tasks(batches("a"), batches("b"))]

    assert items == ["a0", "a1", "a2", "b0", "b1", "b2"]
