"""Fixtures shared by the live-event tests."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest
import redis.asyncio as redis

BACKEND_REDIS_URL = "redis://127.0.0.1:6379/7"


@pytest.fixture(params=["sqlite", "redis"])
async def backend_env(request: pytest.FixtureRequest) -> AsyncIterator[dict[str, str]]:
    """Settings selecting each queue backend, under a fresh integration identifier (its
    Redis keys deleted afterwards)."""
    identifier = f"live-{uuid.uuid4().hex[:10]}"
    env = {"OCEAN__INTEGRATION__IDENTIFIER": identifier}
    if request.param == "sqlite":
        yield env
        return
    yield env | {"OCEAN__LIVE_EVENTS__QUEUE_URL": BACKEND_REDIS_URL}
    await _forget(BACKEND_REDIS_URL, identifier)


@pytest.fixture
async def integration() -> AsyncIterator[str]:
    """A fresh integration identifier whose queue keys in Redis (database 0) are deleted
    afterwards."""
    identifier = f"queue-{uuid.uuid4().hex[:8]}"
    yield identifier
    await _forget("redis://127.0.0.1:6379/0", identifier)


async def _forget(url: str, identifier: str) -> None:
    """Delete the Redis keys of ``identifier``'s queue."""
    client = redis.Redis.from_url(url)
    keys = [key async for key in client.scan_iter(f"ocean:{identifier}:*")]
    if keys:
        await client.delete(*keys)
    await client.aclose()
