"""A kind's handlers as the resync drives them: one that fails does not stop the others."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from ocean.extract.extract import extract
from ocean.integration import Integration
from ocean.types import RawBatch
from tests.extract.conftest import extracted


def _integration(failing: set[str]) -> Integration:
    """Three handlers of kind 'repo': a list, a generator failing after its first batch
    (when asked), and a generator after them."""
    ocean = Integration()

    @ocean.on_resync("repo")
    async def listed(kind: str) -> RawBatch:
        if "listed" in failing:
            raise RuntimeError("the list endpoint answered 500")
        return [{"id": "a"}]

    @ocean.on_resync("repo")
    async def paged(kind: str) -> AsyncIterator[RawBatch]:
        yield [{"id": "b"}]
        if "paged" in failing:
            raise RuntimeError("page 2 timed out")
        yield [{"id": "c"}]

    @ocean.on_resync()
    async def catch_all(kind: str) -> AsyncIterator[RawBatch]:
        if "catch_all" in failing:
            yield "not a list"  # type: ignore[misc]
        yield [{"id": "d"}]

    return ocean


@pytest.mark.parametrize(
    ("failing", "ids", "messages"),
    [
        (set(), ["a", "b", "c", "d"], []),
        ({"listed"}, ["b", "c", "d"], ["the list endpoint answered 500"]),
        ({"paged"}, ["a", "b", "d"], ["page 2 timed out"]),
        ({"catch_all"}, ["a", "b", "c"], ["gave a str"]),
        (
            {"listed", "paged"},
            ["b", "d"],
            ["2 handlers failed", "the list endpoint answered 500", "page 2 timed out"],
        ),
    ],
    ids=["none", "list", "generator", "bad-batch", "two"],
)
async def test_a_failing_handler_leaves_the_others_running_and_fails_the_kind(
    failing: set[str], ids: list[str], messages: list[str]
) -> None:
    read, error = await extracted(_integration(failing), "repo")

    assert read == ids
    if not messages:
        assert error is None
        return
    assert error is not None and error.kind == "repo"
    assert str(error).startswith("kind 'repo': ")
    assert all(message in str(error) for message in messages)
    assert str(error).count("kind 'repo'") == 1


async def _awaits_a_task_cancelled_elsewhere() -> None:
    """What a handler does when a task it awaits is cancelled by another component."""
    fetch = asyncio.ensure_future(asyncio.sleep(10))
    asyncio.get_running_loop().call_soon(fetch.cancel)
    await asyncio.gather(fetch)


@pytest.mark.parametrize("shape", ["list", "generator"])
async def test_a_handler_cancelled_from_inside_fails_alone_and_leaves_nothing_running(
    shape: str,
) -> None:
    """A CancelledError that is not the resync's stop fails its handler as any error
    does: the kind's other handlers still give their items (a list handler's siblings were
    left running, unwatched, after the kind ended; a generator's were never run)."""
    ocean, ended = Integration(), asyncio.Event()

    if shape == "list":

        @ocean.on_resync("repo")
        async def cancelled(kind: str) -> RawBatch:
            await _awaits_a_task_cancelled_elsewhere()
            return [{"id": "a"}]

    else:

        @ocean.on_resync("repo")
        async def paged(kind: str) -> AsyncIterator[RawBatch]:
            yield [{"id": "a"}]
            await _awaits_a_task_cancelled_elsewhere()
            yield [{"id": "never"}]

    @ocean.on_resync("repo" if shape == "list" else None)
    async def other(kind: str) -> RawBatch:
        await asyncio.sleep(0.05)
        ended.set()
        return [{"id": "b"}]

    read, error = await extracted(ocean, "repo")

    assert ended.is_set()  # ended within the kind, not after it
    assert read == (["b"] if shape == "list" else ["b", "a"])
    assert error is not None
    assert "CancelledError though the resync was not stopped" in str(error)
    assert "_awaits_a_task_cancelled_elsewhere" in str(error)  # where it was raised


async def test_a_handler_that_catches_the_stop_is_stopped_at_its_next_page() -> None:
    """A handler that catches the resync's stop (its CancelledError) and goes on fetching
    is stopped at its next page, and closed: its pages fetched after the stop went on into
    the pipeline and the stop waited for the whole handler."""
    ocean, fetched, closed = Integration(), [], asyncio.Event()
    waiting = asyncio.Event()

    @ocean.on_resync("repo")
    async def stubborn(kind: str) -> AsyncIterator[RawBatch]:
        try:
            for page in range(3):
                if page == 0:
                    try:
                        waiting.set()
                        await asyncio.sleep(10)
                    except asyncio.CancelledError:
                        pass  # (a retry loop catching everything)
                fetched.append(page)
                yield [{"id": str(page)}]
        finally:
            closed.set()

    read: list[str] = []

    async def kind_task() -> None:
        async for batch in extract(ocean, "repo"):
            read.extend(item["id"] for item in batch)

    task = asyncio.create_task(kind_task())
    await waiting.wait()
    task.cancel()  # (a newer trigger, a shutdown)
    async with asyncio.timeout(5):
        with pytest.raises(asyncio.CancelledError):
            await task
    assert read == [] and fetched == [0]  # the page fetched after the stop goes no further
    assert closed.is_set()
