"""The SQLite queue hands out the events this process put from memory; what other
processes put in the same file (each queue here is a connection of its own, as another
process's would be) is read from the file, in ``seq`` order, none skipped or repeated."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import orjson
import pytest

from ocean.errors import QueueUnavailableError
from ocean.live import key_turns
from ocean.live.queue import QueuedEvent
from ocean.live.sqlite_queue import LOCAL_MAX, SQLiteEventQueue
from ocean.live.workers import Workers


@pytest.fixture
async def queue(tmp_path: Path) -> AsyncIterator[SQLiteEventQueue]:
    queue = await SQLiteEventQueue.open(tmp_path / "events.db", "svc")
    yield queue
    await queue.close()


async def _put(queue: SQLiteEventQueue, name: str) -> None:
    body = orjson.dumps({"id": name})
    await queue.put("/hook", {"id": name}, {"x-name": name}, name, body)


async def _taken(queue: SQLiteEventQueue, *, timeout: float = 0.0) -> list[str]:
    events = await queue.take(100_000, timeout=timeout)
    for event in events:
        await queue.done(event)
    return [event.payload["id"] for event in events]


async def test_events_another_process_put_between_ours_are_taken_in_order(
    queue: SQLiteEventQueue, tmp_path: Path
) -> None:
    other = await SQLiteEventQueue.open(tmp_path / "events.db", "svc")
    try:
        assert await _taken(queue) == []  # the file read once: from now on puts are in memory
        await _put(queue, "a")
        await _put(other, "b")  # it tells no one
        await _put(queue, "c")
        await _put(queue, "d")
        assert await _taken(queue) == ["a", "b", "c", "d"]
        await _put(queue, "e")
        assert await _taken(queue) == ["e"]
    finally:
        await other.close()


async def test_an_event_another_process_put_after_ours_is_taken_once_a_take_waits(
    queue: SQLiteEventQueue, tmp_path: Path
) -> None:
    other = await SQLiteEventQueue.open(tmp_path / "events.db", "svc")
    try:
        assert await _taken(queue) == []
        await _put(queue, "a")
        await _put(other, "b")  # as `ocean events retry` would, telling no one
        assert await _taken(queue) == ["a"]
        assert await _taken(queue, timeout=0.05) == ["b"]
    finally:
        await other.close()


async def test_an_event_from_memory_is_what_was_received_not_what_the_route_changed(
    queue: SQLiteEventQueue,
) -> None:
    assert await _taken(queue) == []
    payload, headers = {"id": "a", "nested": {"n": 1}}, {"x-name": "a"}
    body = orjson.dumps(payload)
    put = await queue.put("/hook", payload, headers, "a", body)
    payload["nested"]["n"] = 2  # a processor's checks may change what they are given
    headers["x-name"] = "changed"
    (event,) = await queue.take(10, timeout=0)
    assert (event.id, event.payload, event.headers, event.body) == (
        put.id,
        {"id": "a", "nested": {"n": 1}},
        {"x-name": "a"},
        body,
    )


async def test_more_events_than_memory_keeps_are_all_taken_in_order(
    queue: SQLiteEventQueue,
) -> None:
    assert await _taken(queue) == []
    names = [f"e{n}" for n in range(LOCAL_MAX + 10)]
    for name in names[:5]:
        await _put(queue, name)
    assert await _taken(queue) == names[:5]
    for name in names[5:]:
        await _put(queue, name)
    assert await _taken(queue) == names[5:]
    await _put(queue, "last")
    assert await _taken(queue) == ["last"]


async def test_events_done_are_gone_after_a_restart_and_the_others_come_back(
    queue: SQLiteEventQueue, tmp_path: Path
) -> None:
    assert await _taken(queue) == []
    for name in ("a", "b", "c"):
        await _put(queue, name)
    first, second, third = await queue.take(10, timeout=0)
    await queue.done(second)
    again = await SQLiteEventQueue.open(tmp_path / "events.db", "svc")
    try:
        assert [event.payload["id"] for event in await again.take(10, timeout=0)] == ["a", "c"]
    finally:
        await again.close()


@contextmanager
def _table_away(path: Path) -> Iterator[None]:
    """The queue's table out of its file's reach (renamed by another connection) within."""
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("ALTER TABLE live_events RENAME TO live_events_away")
    try:
        yield
    finally:
        other.execute("ALTER TABLE live_events_away RENAME TO live_events")
        other.close()


async def test_a_done_the_file_cannot_take_is_an_outage_the_workers_retry(
    queue: SQLiteEventQueue, tmp_path: Path
) -> None:
    await _put(queue, "a")
    (event,) = await queue.take(10, timeout=0)
    with _table_away(tmp_path / "events.db"):
        with pytest.raises(QueueUnavailableError, match="could not mark event"):
            await queue.done(event)

    await queue.done(event)  # taken once the file is back

    assert await queue.take(10, timeout=0) == []


async def test_a_read_of_the_file_that_failed_is_made_again_by_the_next_take(
    queue: SQLiteEventQueue, tmp_path: Path
) -> None:
    other = await SQLiteEventQueue.open(tmp_path / "events.db", "svc")
    try:
        assert await _taken(queue) == []
        await _put(other, "b")
        queue.arrived()  # as an acceptor tells the taker
        with _table_away(tmp_path / "events.db"):
            with pytest.raises(QueueUnavailableError, match="no such table"):
                await queue.take(10, timeout=0)

        assert await _taken(queue) == ["b"]
    finally:
        await other.close()


@pytest.mark.parametrize("failing", ["take", "bury"])
async def test_the_workers_go_on_once_the_file_takes_a_read_or_a_burial_again(
    queue: SQLiteEventQueue, tmp_path: Path, failing: str, caplog: pytest.LogCaptureFixture
) -> None:
    path, applied, back = tmp_path / "events.db", [], asyncio.Event()
    other = await SQLiteEventQueue.open(path, "svc")
    loop = asyncio.get_running_loop()

    def away_for_a_while() -> None:
        away = _table_away(path)
        away.__enter__()
        loop.call_later(0.3, lambda: (away.__exit__(None, None, None), back.set()))

    async def handle(event: QueuedEvent) -> str | None:
        applied.append(event.payload["id"])
        if event.payload["id"] == "bad":
            away_for_a_while()  # its burial fails, then takes
            return "refused"
        return None

    if failing == "take":
        await _put(other, "a")  # in the file, unknown to the queue until it is told
        away_for_a_while()
        queue.arrived()  # the first take reads the file: it fails, and is made again
        names = ["a"]
    else:
        for name in ("bad", "after"):  # one key: "after" waits for "bad"'s burial
            await queue.put("/hook", {"id": name}, {}, "k")
        names = ["bad", "after"]
    stop = asyncio.Event()
    workers = asyncio.create_task(Workers(queue, handle, poll=0.05).run(stop))
    try:
        async with asyncio.timeout(10):
            await back.wait()
            while applied != names or await queue.depth():
                assert not workers.done(), "the workers stopped"
                await asyncio.sleep(0.02)
    finally:
        stop.set()
        await workers
        await other.close()
    assert "no such table" in caplog.text  # the failure happened, and was retried
    dead = [event.payload["id"] for event in await queue.dead()]
    assert dead == (["bad"] if failing == "bury" else [])


async def _put_keyed(queue: SQLiteEventQueue, key: str | None, n: int) -> QueuedEvent:
    return await queue.put("/hook", {"key": key, "n": n}, {}, key)


def _names(events: list[QueuedEvent]) -> list[str]:
    return [f"{event.key}{event.payload['n']}" for event in events]


async def test_a_key_s_next_event_goes_out_once_the_one_before_is_finished(
    queue: SQLiteEventQueue, tmp_path: Path
) -> None:
    for key, n in (("a", 1), ("a", 2), ("b", 1), ("a", 3), (None, 1), ("b", 2)):
        await _put_keyed(queue, key, n)
    a1, b1, none1 = await queue.take(10, timeout=0)
    assert _names([a1, b1, none1]) == ["a1", "b1", "None1"]
    assert await queue.take(10, timeout=0) == []  # a2, a3 and b2 wait their turn

    await queue.done(b1)
    assert _names(await queue.take(10, timeout=0)) == ["b2"]
    await queue.bury(a1, "refused")
    (a2,) = await queue.take(10, timeout=0)
    assert _names([a2]) == ["a2"]

    again = await SQLiteEventQueue.open(tmp_path / "events.db", "svc")  # after a restart
    try:  # what was out and unfinished comes back, each key's first only
        assert _names(await again.take(10, timeout=0)) == ["a2", "None1", "b2"]
    finally:
        await again.close()


async def test_a_key_s_turn_is_not_lost_when_the_read_past_the_cursor_fails(
    queue: SQLiteEventQueue, tmp_path: Path
) -> None:
    other = await SQLiteEventQueue.open(tmp_path / "events.db", "svc")
    try:
        assert await queue.take(10, timeout=0) == []
        for n in (1, 2):
            await _put_keyed(queue, "a", n)
        (a1,) = await queue.take(10, timeout=0)  # a2 waits in memory
        await _put_keyed(other, "b", 1)
        queue.arrived()
        with _table_away(tmp_path / "events.db"):
            with pytest.raises(QueueUnavailableError):
                await queue.done(a1)  # the workers hold a2 behind it while they retry
            assert _names(await queue.take(10, timeout=0)) == ["a2"]  # b's read failed

        await queue.done(a1)
        assert _names(await queue.take(10, timeout=0)) == ["b1"]
    finally:
        await other.close()


async def test_a_take_cancelled_anywhere_leaves_no_key_held(
    queue: SQLiteEventQueue, tmp_path: Path
) -> None:
    """A take cancelled while it reads past the cursor gives back the events whose turn it
    had taken (their keys stayed held until a restart)."""
    other = await SQLiteEventQueue.open(tmp_path / "events.db", "svc")
    try:
        for steps in range(12):  # cancelled after that many turns of the loop
            for n in (1, 2):
                await _put_keyed(queue, "a", steps * 10 + n)
            (first,) = await queue.take(10, timeout=0)  # the second waits in memory
            await _put_keyed(other, "b", steps)  # read past the cursor by the next take
            queue.arrived()
            await queue.done(first)
            taking = asyncio.create_task(queue.take(10, timeout=0))
            for _ in range(steps):
                await asyncio.sleep(0)
            taking.cancel()
            taken = [] if await _cancelled(taking) else taking.result()
            taken += await queue.take(10, timeout=0)
            assert sorted(_names(taken)) == sorted([f"a{steps * 10 + 2}", f"b{steps}"])
            for event in taken:
                await queue.done(event)
    finally:
        await other.close()


async def _cancelled(task: asyncio.Task[Any]) -> bool:
    try:
        await task
    except asyncio.CancelledError:
        return True
    return False


@pytest.mark.parametrize("putter", ["this process", "another process"])
@pytest.mark.parametrize("memory", [1024, 3], ids=["memory", "file"])
async def test_every_event_goes_out_once_in_order_per_key_whatever_memory_keeps(
    queue: SQLiteEventQueue,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    putter: str,
    memory: int,
) -> None:
    monkeypatch.setattr(key_turns, "WAITING_MAX", memory)  # past it, read from the file
    monkeypatch.setattr(key_turns, "REFILL", 2)
    other = await SQLiteEventQueue.open(tmp_path / "events.db", "svc")
    into = other if putter == "another process" else queue
    try:
        assert await queue.take(10, timeout=0) == []
        keys = ["a", "b", "a", "a", None, "c", "a", "b", "a", "c", "a", None, "b", "a"] * 3
        for n, key in enumerate(keys):
            await _put_keyed(into, key, n)
        queue.arrived()  # as an acceptor tells the taker
        out: list[QueuedEvent] = []
        held: list[QueuedEvent] = []
        for _ in range(200):  # two events finished a round: the others wait, kept or not
            taken = await queue.take(10, timeout=0)
            out, held = out + taken, held + taken
            keyed = [event.key for event in held if event.key is not None]
            assert len(set(keyed)) == len(keyed), "two events of one key out at once"
            for event in reversed(held[:2]):  # finished in another order than taken
                await queue.done(event)
            held = held[2:]
            if len(out) >= len(keys) and not held:
                break
    finally:
        await other.close()
    assert sorted(event.payload["n"] for event in out) == list(range(len(keys)))
    for key in ("a", "b", "c"):
        ns = [event.payload["n"] for event in out if event.key == key]
        assert ns == sorted(ns)
    assert await queue.take(10, timeout=0) == [] and await queue.depth() == 0


@pytest.mark.parametrize("putter", ["this process", "another process"])
async def test_a_blocked_key_s_long_backlog_holds_no_other_key_s_events_up(
    queue: SQLiteEventQueue, tmp_path: Path, putter: str
) -> None:
    """1,500 events queued behind a key whose first event cannot be applied yet (more than
    the workers hold, and than the queue keeps in memory): the other keys' events, queued
    after them, are applied meanwhile; then the backlog is, in order."""
    gate, applied = asyncio.Event(), dict[str | None, list[int]]()

    async def handle(event: QueuedEvent) -> str | None:
        if event.key == "slow":
            await gate.wait()
        applied.setdefault(event.key, []).append(int(event.id))
        return None

    other = await SQLiteEventQueue.open(tmp_path / "events.db", "svc")
    into = other if putter == "another process" else queue
    stop = asyncio.Event()
    workers = asyncio.create_task(Workers(queue, handle, poll=0.05).run(stop))
    try:
        slow = await asyncio.gather(*(_put_keyed(into, "slow", n) for n in range(1500)))
        fast = [await _put_keyed(into, key, n) for n in range(20) for key in ("f1", "f2", None)]
        queue.arrived()  # as an acceptor tells the taker
        async with asyncio.timeout(10):
            while sum(len(applied.get(key, [])) for key in ("f1", "f2", None)) < len(fast):
                assert not workers.done(), "the workers stopped"
                await asyncio.sleep(0.02)
        assert "slow" not in applied  # still blocked
        gate.set()
        async with asyncio.timeout(30):
            while await queue.depth():
                await asyncio.sleep(0.02)
    finally:
        stop.set()
        await workers
        await other.close()
    assert applied["slow"] == sorted(int(event.id) for event in slow)
    for key in ("f1", "f2"):
        assert applied[key] == [int(event.id) for event in fast if event.key == key]
