"""When a PostgreSQL store's write may start: after the write called before it, or beside
writes of new rows only that share no key with it (at most two at once)."""

from __future__ import annotations

import asyncio

from ocean.store.postgres.batch import Claim, Line, Turn


def _claim(*keys: str, targets: tuple[str, ...] = ()) -> Claim:
    return Claim(frozenset(("svc", k) for k in keys), frozenset(("svc", t) for t in targets))


def _turns(count: int) -> list[Turn]:
    line, loop, before = Line(), asyncio.get_running_loop(), None
    turns = []
    for _ in range(count):
        turns.append(Turn(before, loop.create_future(), line))
        before = turns[-1].ended
    return turns


async def _started(waiting: asyncio.Task[None]) -> bool:
    await asyncio.sleep(0.01)
    return waiting.done()


async def test_a_write_of_new_rows_joins_the_one_before_as_soon_as_that_one_starts() -> None:
    first, second, third = _turns(3)
    first.ended.set_result(None)  # (an asked write, ended)
    await second.wait(_claim("a"))
    joining = asyncio.create_task(third.wait(_claim("b")))

    assert await _started(joining)  # beside the second, before it ended
    assert len(second.line.running) == 2


async def test_a_write_waits_for_the_one_before_when_it_reads_what_that_one_writes() -> None:
    first, second = _turns(2)
    await first.wait(_claim("a"))
    sharing = asyncio.create_task(second.wait(_claim("b", targets=("a",))))
    assert not await _started(sharing)  # it reads what the first writes

    first.leave()
    first.ended.set_result(None)
    assert await _started(sharing)


async def test_at_most_two_writes_of_new_rows_run_at_once() -> None:
    first, second, third = _turns(3)
    await first.wait(_claim("a"))
    await second.wait(_claim("b"))
    third_waits = asyncio.create_task(third.wait(_claim("c")))
    assert not await _started(third_waits)

    first.leave()  # committed: the third joins the second
    assert await _started(third_waits)


async def test_a_write_that_is_not_only_new_rows_waits_for_the_one_before_to_end() -> None:
    first, second = _turns(2)
    await first.wait(_claim("a"))
    asked = asyncio.create_task(second.wait(None))
    first.leave()
    assert not await _started(asked)  # left its transaction, but its turn has not ended

    first.ended.set_result(None)
    assert await _started(asked)
