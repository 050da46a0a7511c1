"""Two replicas sharing one Redis stream: every event applied once, in order per key."""

from __future__ import annotations

import asyncio
import os
import random
import socket
import sys
from collections.abc import Callable

import pytest
import redis.asyncio as redis

from ocean.live.queue import QueuedEvent
from ocean.live.redis_queue import RedisEventQueue
from ocean.live.workers import Workers

REDIS_URL = "redis://127.0.0.1:6379/0"


async def _replica(
    name: str, integration: str, applied: list[tuple[str, str, int]], stop: asyncio.Event
) -> None:
    queue = await RedisEventQueue.open(REDIS_URL, integration, consumer=f"replica-{name}")

    async def handle(event: QueuedEvent) -> str | None:
        await asyncio.sleep(random.random() / 200)
        applied.append((name, str(event.key), int(event.payload["n"])))
        return None

    try:
        await Workers(queue, handle, held=3, poll=0.05).run(stop)
    finally:
        await queue.close()


async def test_two_replicas_apply_every_event_once_and_in_order_per_key(integration: str) -> None:
    producer = await RedisEventQueue.open(REDIS_URL, integration)
    keys = [f"svc-{k}" for k in range(4)]
    for n in range(25):
        for key in keys:
            await producer.put("/webhook", {"n": n}, {}, key)
    applied: list[tuple[str, str, int]] = []
    stop = asyncio.Event()
    replicas = [
        asyncio.create_task(_replica(name, integration, applied, stop)) for name in ("a", "b")
    ]
    try:
        async with asyncio.timeout(30):
            while len(applied) < 100 or await producer.depth():
                await asyncio.sleep(0.05)
    finally:
        stop.set()
        await asyncio.gather(*replicas)
        await producer.close()
    assert len(applied) == 100
    for key in keys:
        assert [n for _, k, n in applied if k == key] == list(range(25))
    assert {name for name, _, _ in applied} == {"a", "b"}, "both replicas took a share"


RECLAIM = 0.6
Applied = list[tuple[str, int]]
"""(replica, event number) in the order applied."""


def _workers(
    queue: RedisEventQueue, applied: Applied, name: str, *, slow: float = 0.0
) -> tuple[asyncio.Event, asyncio.Task[None]]:
    """``queue``'s workers (and what stops them); each event takes ``slow`` seconds, and
    is listed in ``applied`` as (``name`` started, number) meanwhile."""

    async def handle(event: QueuedEvent) -> str | None:
        applied.append((f"{name} started", int(event.payload["n"])))
        await asyncio.sleep(slow)
        applied.append((name, int(event.payload["n"])))
        return None

    stop = asyncio.Event()
    return stop, asyncio.create_task(Workers(queue, handle, poll=0.05).run(stop))


async def _until(check: Callable[[], bool], seconds: float = 15) -> None:
    async with asyncio.timeout(seconds):
        while not check():
            await asyncio.sleep(0.02)


async def test_a_replica_claims_what_one_that_died_before_it_started_was_given(
    integration: str,
) -> None:
    dead = await RedisEventQueue.open(REDIS_URL, integration, reclaim=RECLAIM, consumer="a")
    await dead.put("/webhook", {"n": 1}, {}, "svc")
    assert [event.payload["n"] for event in await dead.take(10, timeout=0.1)] == [1]
    await dead.close()  # dies with event 1 unfinished

    live = await RedisEventQueue.open(REDIS_URL, integration, reclaim=RECLAIM, consumer="b")
    applied: Applied = []
    stop, workers = _workers(live, applied, "b")
    try:
        await live.put("/webhook", {"n": 2}, {}, "svc")  # behind event 1 on its key
        await live.put("/webhook", {"n": 3}, {}, None)
        await _until(lambda: len(applied) == 6)
    finally:
        stop.set()
        await workers
        await live.close()
    numbers = [n for name, n in applied if name == "b"]
    assert sorted(numbers) == [1, 2, 3] and numbers.index(1) < numbers.index(2)


async def test_an_event_a_live_replica_applies_for_long_is_not_claimed_by_another(
    integration: str,
) -> None:
    first = await RedisEventQueue.open(REDIS_URL, integration, reclaim=RECLAIM, consumer="a")
    second = await RedisEventQueue.open(REDIS_URL, integration, reclaim=RECLAIM, consumer="b")
    applied: Applied = []
    stop_first, first_workers = _workers(first, applied, "a", slow=4 * RECLAIM)
    await first.put("/webhook", {"n": 1}, {}, "svc")
    await _until(lambda: ("a started", 1) in applied)
    await asyncio.sleep(1.5 * RECLAIM)  # given to the first replica longer than reclaim ago
    stop_second, second_workers = _workers(second, applied, "b")
    try:
        await second.put("/webhook", {"n": 2}, {}, "svc")
        await _until(lambda: len(applied) == 4)
        await asyncio.sleep(2 * RECLAIM)  # time to take it again, had it been claimed
    finally:
        stop_first.set()
        stop_second.set()
        await asyncio.gather(first_workers, second_workers)
        await first.close()
        await second.close()
    assert [entry for entry in applied if "started" not in entry[0]] in (
        [("a", 1), ("b", 2)],
        [("a", 1), ("a", 2)],
    ), "event 1 applied once, by the replica it was given to, and before event 2"


async def _dead_pid() -> str:
    """The id of a process that ran on this host and has ended."""
    child = await asyncio.create_subprocess_exec(sys.executable, "-c", "pass")
    await child.wait()
    return str(child.pid)


async def _name_in_another_process(integration: str) -> str:
    """The consumer name a replica opened by another process on this host takes."""
    script = (
        "import asyncio, sys\n"
        "from ocean.live.redis_queue import RedisEventQueue\n"
        "async def main():\n"
        f"    queue = await RedisEventQueue.open({REDIS_URL!r}, {integration!r})\n"
        "    print(queue.consumer)\n"
        "    await queue.close()\n"
        "asyncio.run(main())\n"
    )
    child = await asyncio.create_subprocess_exec(
        sys.executable, "-c", script, stdout=asyncio.subprocess.PIPE
    )
    out, _ = await child.communicate()
    assert child.returncode == 0
    return f"{out.decode().strip()} (pid {child.pid})"


async def test_a_second_replica_on_the_host_takes_a_name_of_its_own(integration: str) -> None:
    """Two replicas of one name would re-read each other's events and apply a key's
    events at once: the second on a host adds its process id to the host name."""
    first = await RedisEventQueue.open(REDIS_URL, integration)
    try:
        second = await _name_in_another_process(integration)
    finally:
        await first.close()
    after = await _name_in_another_process(integration)

    host = socket.gethostname()
    name, pid = second.removesuffix(")").split(" (pid ")
    assert (first.consumer, name) == (host, f"{host}-{pid}")
    assert after.startswith(f"{host} (pid "), "the host's name is free once the first closed"


@pytest.mark.parametrize("holder", ["dead", "this-process"])
async def test_a_replica_restarted_on_its_host_takes_back_its_predecessors_name(
    integration: str, holder: str
) -> None:
    """A replica killed (kill -9) left its name said alive; restarted, with another
    process id or (a container's first process) the same, it takes the name back and with
    it, at once, the events its predecessor was given."""
    predecessor = await RedisEventQueue.open(REDIS_URL, integration)
    await predecessor.put("/webhook", {"n": 1}, {}, "k")
    (given,) = await predecessor.take(10, timeout=1)
    client = redis.Redis.from_url(REDIS_URL)
    pid = await _dead_pid() if holder == "dead" else str(os.getpid())
    await client.set(f"ocean:{integration}:events:alive:{socket.gethostname()}", pid)
    await client.aclose()

    restarted = await RedisEventQueue.open(REDIS_URL, integration)
    try:
        taken = await restarted.take(10, timeout=1)
    finally:
        await restarted.close()
        await predecessor.close()

    assert restarted.consumer == socket.gethostname()
    assert [event.id for event in taken] == [given.id]
