"""Live events through a Redis that hangs (stopped with SIGSTOP, as a stalled network or a
``DEBUG SLEEP``/``CLIENT PAUSE`` longer than the client's read timeout would): a put whose
reply does not come in time is answered 503 ("not stored, will not be applied"), so
Redis must not store it when it reads the command after the hang."""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import redis.asyncio as redis

from ocean.errors import QueueUnavailableError
from ocean.live.redis_queue import RedisEventQueue
from tests.reliability.redis_process import REDIS_SERVER, RedisProcess

pytestmark = pytest.mark.skipif(REDIS_SERVER is None, reason="redis-server is not on PATH")


@pytest.fixture
async def server(tmp_path: Path) -> AsyncIterator[RedisProcess]:
    process = RedisProcess(tmp_path / "redis", persistent=False)
    await process.start()
    yield process
    os.kill(process.pid, signal.SIGCONT)
    await process.kill()


async def test_a_put_refused_during_a_hang_is_not_stored_once_redis_runs_again(
    server: RedisProcess,
) -> None:
    queue = await RedisEventQueue.open(f"{server.url}?socket_timeout=1", "svc", consumer="c")
    client = redis.Redis.from_url(server.url)
    try:
        await queue.put("/hook", {"id": "a"}, {}, "a", b'{"id": "a"}')  # the script is loaded
        os.kill(server.pid, signal.SIGSTOP)
        try:
            with pytest.raises(QueueUnavailableError):
                await queue.put("/hook", {"id": "b"}, {}, "b", b'{"id": "b"}')
            await asyncio.sleep(0.5)  # Redis hangs on past the client's timeout
        finally:
            os.kill(server.pid, signal.SIGCONT)
        await asyncio.sleep(0.3)  # Redis reads the command sent before the timeout
        stored = [fields[b"key"] for _, fields in await client.xrange("ocean:svc:events:stream")]
        assert stored == [b"a"], "an event answered 503 must not be stored (nor applied)"
        # the queue carries on once Redis answers again
        await queue.put("/hook", {"id": "c"}, {}, "c", b'{"id": "c"}')
        stored = [fields[b"key"] for _, fields in await client.xrange("ocean:svc:events:stream")]
        assert stored == [b"a", b"c"]
    finally:
        await client.aclose()
        await queue.close()


async def test_a_wrong_estimate_of_redis_clock_is_measured_again(server: RedisProcess) -> None:
    """Redis's clock (or this one) set ahead since the queue opened: puts Redis runs at once
    are not refused as late for good."""
    queue = await RedisEventQueue.open(server.url, "svc", consumer="c")
    try:
        queue._clock_offset -= 60  # as if Redis's clock had jumped a minute ahead
        event = await queue.put("/hook", {"id": "a"}, {}, "a", b'{"id": "a"}')
        assert event.id
        assert abs(queue._clock_offset) < 5
    finally:
        await queue.close()
