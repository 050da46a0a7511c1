"""Two replicas sharing one Redis stream: every event applied once, in order per key."""

from __future__ import annotations

import asyncio
import random
import uuid
from collections.abc import AsyncIterator

import pytest
import redis.asyncio as redis

from ocean.live.queue import QueuedEvent
from ocean.live.redis_queue import RedisEventQueue
from ocean.live.workers import Workers

REDIS_URL = "redis://127.0.0.1:6379/0"


@pytest.fixture
async def integration() -> AsyncIterator[str]:
    identifier = f"replicas-{uuid.uuid4().hex[:8]}"
    yield identifier
    client = redis.Redis.from_url(REDIS_URL)
    keys = [key async for key in client.scan_iter(f"ocean:{identifier}:*")]
    if keys:
        await client.delete(*keys)
    await client.aclose()


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
