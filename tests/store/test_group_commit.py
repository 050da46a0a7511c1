"""Group commit: what arrives during a write goes in the next one, together."""

from __future__ import annotations

import asyncio

import pytest

from ocean.store.group_commit import GroupCommit


async def test_submissions_during_a_write_share_the_next_one_and_get_their_own_results() -> None:
    groups: list[list[int]] = []

    async def write(items: list[int]) -> list[int]:
        groups.append(items)
        await asyncio.sleep(0.01)
        return [item * 10 for item in items]

    commits: GroupCommit[int, int] = GroupCommit(write)
    results = await asyncio.gather(*(commits.submit(n) for n in range(5)))

    assert results == [0, 10, 20, 30, 40]
    assert groups == [[0, 1, 2, 3, 4]]
    first = asyncio.create_task(commits.submit(5))
    await asyncio.sleep(0)
    rest = await asyncio.gather(*(commits.submit(n) for n in (6, 7)))
    assert (await first, rest) == (50, [60, 70])
    assert groups[1:] == [[5], [6, 7]]


async def test_a_failed_write_fails_every_submission_of_its_group_and_not_the_next() -> None:
    calls = 0

    async def write(items: list[str]) -> list[str]:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise RuntimeError("disk full")
        return items

    commits: GroupCommit[str, str] = GroupCommit(write)
    outcomes = await asyncio.gather(
        commits.submit("a"), commits.submit("b"), return_exceptions=True
    )
    assert [str(o) for o in outcomes] == ["disk full", "disk full"]
    assert await commits.submit("c") == "c"


@pytest.mark.parametrize("count", [1, 50])
async def test_every_submission_is_answered(count: int) -> None:
    async def write(items: list[int]) -> list[int]:
        await asyncio.sleep(0)
        return items

    commits: GroupCommit[int, int] = GroupCommit(write)
    assert await asyncio.gather(*(commits.submit(n) for n in range(count))) == list(range(count))


async def test_a_write_that_raises_cancelled_error_answers_its_callers_and_not_the_next() -> None:
    """A write whose own awaits were cancelled by something else (its task was not): the
    callers of its group, and those waiting behind it, are cancelled rather than left
    waiting for a drain that ended."""
    calls = 0

    async def write(items: list[str]) -> list[str]:
        nonlocal calls
        calls += 1
        await asyncio.sleep(0)
        if calls == 1:
            raise asyncio.CancelledError
        return items

    commits: GroupCommit[str, str] = GroupCommit(write)
    first = asyncio.create_task(commits.submit("a"))
    await asyncio.sleep(0)  # its write under way: "b" waits behind it
    second = asyncio.create_task(commits.submit("b"))
    outcomes = await asyncio.wait_for(asyncio.gather(first, second, return_exceptions=True), 5)

    assert [type(o) for o in outcomes] == [asyncio.CancelledError, asyncio.CancelledError]
    assert await commits.submit("c") == "c"
