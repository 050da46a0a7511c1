"""The SQLite queue writes its groups on the event loop without ever waiting there for the
file's lock (another connection holding it sends the group to the queue's thread, which
waits), and checkpoints the file from its thread so the write-ahead log stays small."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import orjson
import pytest

from ocean.live import sqlite_queue_writes
from ocean.live.sqlite_queue import SQLiteEventQueue


@pytest.fixture
async def queue(tmp_path: Path) -> AsyncIterator[SQLiteEventQueue]:
    queue = await SQLiteEventQueue.open(tmp_path / "events.db", "svc")
    yield queue
    await queue.close()


async def _put(queue: SQLiteEventQueue, name: str, pad: int = 0) -> None:
    payload = {"id": name, "pad": "x" * pad}
    await queue.put("/hook", payload, {}, name, orjson.dumps(payload))


async def _longest_stall(until: asyncio.Future[None]) -> float:
    """The longest the loop went without running this task, until ``until`` is done."""
    longest, last = 0.0, time.monotonic()
    while not until.done():
        await asyncio.sleep(0.005)
        now = time.monotonic()
        longest, last = max(longest, now - last), now
    return longest


async def test_a_put_while_another_connection_holds_the_lock_waits_off_the_loop(
    queue: SQLiteEventQueue, tmp_path: Path
) -> None:
    other = sqlite3.connect(tmp_path / "events.db", isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # the file's write lock, as an acceptor's put holds it
    put = asyncio.ensure_future(_put(queue, "a"))
    stall = asyncio.ensure_future(_longest_stall(put))
    await asyncio.sleep(0.3)
    assert not put.done()  # waiting for the lock

    other.execute("COMMIT")
    other.close()
    await put

    assert await stall < 0.1  # the loop ran on meanwhile
    (event,) = await queue.take(10, timeout=0)
    assert event.payload["id"] == "a"


async def test_groups_written_after_a_wait_for_the_lock_are_written_on_the_loop_again(
    queue: SQLiteEventQueue, tmp_path: Path
) -> None:
    other = sqlite3.connect(tmp_path / "events.db", isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    put = asyncio.ensure_future(_put(queue, "a"))
    await asyncio.sleep(0.05)
    other.execute("COMMIT")
    await put
    other.close()

    await asyncio.gather(*(_put(queue, name) for name in "bcd"))

    taken = [event.payload["id"] for event in await queue.take(10, timeout=0)]
    assert taken == ["a", "b", "c", "d"]


async def test_the_write_ahead_log_is_checkpointed_as_events_come_and_go(
    queue: SQLiteEventQueue, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sqlite_queue_writes, "CHECKPOINT_ROWS", 100)
    wal = tmp_path / "events.db-wal"
    largest = 0
    for batch in range(40):  # 2,000 events of 2 KB: about 8 MB written to the log
        await asyncio.gather(*(_put(queue, f"{batch}-{n}", pad=2048) for n in range(50)))
        for event in await queue.take(100, timeout=0):
            await queue.done(event)
        largest = max(largest, wal.stat().st_size)

    assert largest < 2_000_000  # reused from its start after each checkpoint


async def test_a_group_of_large_events_is_written_off_the_loop(
    queue: SQLiteEventQueue, monkeypatch: pytest.MonkeyPatch
) -> None:
    on_loop: list[bool] = []
    real = sqlite_queue_writes._write

    def spied(*args: Any) -> int:
        on_loop.append(threading.current_thread() is threading.main_thread())
        return real(*args)

    monkeypatch.setattr(sqlite_queue_writes, "_write", spied)
    await _put(queue, "small")
    await _put(queue, "large", pad=sqlite_queue_writes.INLINE_BYTES)

    assert on_loop == [True, False]
    taken = [event.payload["id"] for event in await queue.take(10, timeout=0)]
    assert taken == ["small", "large"]


async def test_a_checkpoint_past_the_bound_truncates_the_log(
    queue: SQLiteEventQueue, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Acceptors' puts land between the taker's checkpoints, so the log seldom starts over
    by itself and kept growing (by 20 MB a second at 1,500 events/s): a checkpoint that
    finds it past the bound waits for the other writers and truncates it."""
    monkeypatch.setattr(sqlite_queue_writes, "CHECKPOINT_ROWS", 10**9)
    monkeypatch.setattr(sqlite_queue_writes, "LOG_PAGES_MAX", 16)
    await asyncio.gather(*(_put(queue, f"e{n}", pad=2048) for n in range(200)))
    wal = tmp_path / "events.db-wal"
    assert wal.stat().st_size > 500_000

    monkeypatch.setattr(sqlite_queue_writes, "CHECKPOINT_ROWS", 1)
    await _put(queue, "last")  # written on the thread, the checkpoint after it

    assert wal.stat().st_size < 100_000
