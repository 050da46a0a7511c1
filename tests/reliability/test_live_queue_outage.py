"""Live events through a Redis outage: the test's own redis-server is killed by its PID
while the integration serves events, then started again on the same port.

While Redis is down the route answers 503 JSON with Retry-After (never 202) and /ready
503; once it is back the workers resume by themselves. Without persistence Redis comes
back empty (the stream and consumer group are recreated); with an append-only file every
event accepted before the outage is applied too, in order per key.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import signal
import sqlite3
import subprocess
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import httpx
import pytest

from ocean.errors import QueueUnavailableError
from ocean.live.outage import FIRST_DELAY, Outage
from ocean.live.signature import sign
from ocean.live.sqlite_queue import SQLiteEventQueue
from tests.conftest import Workspace
from tests.live.harness import LiveServer, live_server, service_event, with_processors
from tests.loopback import free_port, reaped
from tests.reliability.redis_process import REDIS_SERVER, RedisProcess

FAKE = Path(__file__).resolve().parents[2] / "integrations" / "fake"
needs_redis = pytest.mark.skipif(REDIS_SERVER is None, reason="redis-server is not on PATH")


@pytest.fixture
async def redis_down_and_up(tmp_path: Path) -> AsyncIterator[RedisProcess]:
    """Without persistence: a restart comes back empty."""
    server = RedisProcess(tmp_path / "redis", persistent=False)
    await server.start()
    yield server
    await server.kill()


@pytest.fixture
async def redis_persistent(tmp_path: Path) -> AsyncIterator[RedisProcess]:
    """With an append-only file: a restart keeps what was accepted."""
    server = RedisProcess(tmp_path / "redis", persistent=True)
    await server.start()
    yield server
    await server.kill()


def _environ(server: RedisProcess) -> dict[str, str]:
    return {
        "OCEAN__LIVE_EVENTS__QUEUE_URL": server.url,
        "OCEAN__LIVE_EVENTS__RETRY_MAX_SECONDS": "0.2",
    }


async def _eventually(check: Callable[[], Awaitable[bool]], seconds: float = 10.0) -> None:
    async with asyncio.timeout(seconds):
        while not await check():
            await asyncio.sleep(0.05)


async def _stars(live: Workspace, identifier: str) -> int | None:
    entity = (await live.entities("service")).get(identifier)
    return None if entity is None else int(entity["properties"]["stars"])


async def _ready(server: LiveServer) -> httpx.Response:
    return await server.client.get(f"{server.base}/ready")


async def _assert_refused_while_down(server: LiveServer) -> None:
    response = await server.post(service_event("svc-lost", stars=1))
    assert response.status_code == 503, response.text
    assert int(response.headers["retry-after"]) >= 1
    body = response.json()
    assert body["ok"] is False and "live-event queue" in body["error"]
    assert "retry" in body["error"].lower()
    ready = await _ready(server)
    assert ready.status_code == 503, ready.text
    assert ready.json()["ok"] is False and "live-event queue" in ready.json()["error"]


@needs_redis
async def test_without_persistence_events_after_the_outage_are_applied(
    workspace: Workspace, redis_down_and_up: RedisProcess, caplog: pytest.LogCaptureFixture
) -> None:
    live = with_processors(workspace)
    caplog.set_level(logging.INFO, logger="ocean.live")
    async with live_server(live, _environ(redis_down_and_up)) as server:
        server.service.metrics.started()
        assert (await server.post(service_event("svc-1", stars=1))).status_code == 202
        await _eventually(lambda: _is(live, "svc-1", 1))
        assert (await _ready(server)).status_code == 200

        await redis_down_and_up.kill()
        await _assert_refused_while_down(server)
        await asyncio.sleep(1.0)  # several capped retries of the workers
        await _assert_refused_while_down(server)

        await redis_down_and_up.start()  # empty: no stream, no consumer group
        await _eventually(lambda: _status(server, 200))
        assert (await server.post(service_event("svc-1", stars=2))).status_code == 202
        assert (await server.post(service_event("svc-2", stars=5))).status_code == 202
        await _eventually(lambda: _is(live, "svc-1", 2))
        await _eventually(lambda: _is(live, "svc-2", 5))
        await server.settled(5)
    assert await _stars(live, "svc-lost") is None, "a 503 event must not be applied"
    refusing = [r.getMessage() for r in caplog.records if r.name == "ocean.live.routes"]
    assert [m for m in refusing if "refused with 503" in m] == refusing[:1], refusing  # once
    said = [(r.levelno, r.getMessage()) for r in caplog.records if r.name != "ocean.live.routes"]
    loud = [message for level, message in said if level >= logging.WARNING]
    assert len(loud) == 2, loud  # the outage once (not per retry), then the data Redis lost
    assert "unreachable" in loud[0] and "consumer group was gone" in loud[1]
    assert any("reachable again" in message for _, message in said)


@needs_redis
async def test_with_persistence_every_accepted_event_is_applied_in_order_per_key(
    workspace: Workspace, redis_persistent: RedisProcess, monkeypatch: pytest.MonkeyPatch
) -> None:
    live = with_processors(workspace)
    log = workspace.root / "applied.jsonl"
    monkeypatch.setenv("OCEAN_TEST_EVENT_LOG", str(log))
    keys, per_key = ["svc-a", "svc-b"], 6
    async with live_server(live, _environ(redis_persistent)) as server:
        server.service.metrics.started()
        for stars in range(1, per_key + 1):
            for key in keys:
                response = await server.post(service_event(key, stars=stars, delay=0.1))
                assert response.status_code == 202
        await redis_persistent.kill()  # events in flight, read but waiting, and not read yet
        applied_before = log.read_text().count("\n") if log.exists() else 0
        assert applied_before < len(keys) * per_key, "the outage must catch events unapplied"
        await _assert_refused_while_down(server)
        await asyncio.sleep(0.5)

        await redis_persistent.start()
        await _eventually(lambda: _status(server, 200))
        for key in keys:
            assert (await server.post(service_event(key, stars=per_key + 1))).status_code == 202
        for key in keys:
            # every event waiting since the outage comes first (0.1 s each, after a backoff)
            await _eventually(lambda key=key: _is(live, key, per_key + 1), 30)  # type: ignore[misc]
        await server.settled(5)
    applied = [json.loads(line) for line in log.read_text().splitlines()]
    for key in keys:
        order = [event["service"]["stars"] for event in applied if event["service"]["id"] == key]
        once = [stars for i, stars in enumerate(order) if i == 0 or order[i - 1] != stars]
        assert once == list(range(1, per_key + 2)), f"{key}: applied in the order {order}"
    assert all(event["service"]["id"] != "svc-lost" for event in applied)


async def _is(live: Workspace, identifier: str, stars: int) -> bool:
    return await _stars(live, identifier) == stars


async def _status(server: LiveServer, status: int) -> bool:
    return (await _ready(server)).status_code == status


@needs_redis
async def test_ocean_sail_refuses_events_and_is_unready_while_redis_is_down(
    tmp_path: Path, redis_down_and_up: RedisProcess
) -> None:
    catalog, port = tmp_path / "catalog.db", free_port()
    env = (
        os.environ
        | _environ(redis_down_and_up)
        | {
            "OCEAN__EVENT_LISTENER__TYPE": "WEBHOOKS_ONLY",
            "OCEAN__INTEGRATION__CONFIG__WEBHOOK_SECRET": "s3cret",
        }
    )
    command = [sys.executable, "-m", "ocean", "sail", str(FAKE), "--catalog", str(catalog),
               "--port", str(port), "--quiet"]  # fmt: skip
    process = subprocess.Popen(command, env=env, cwd=tmp_path, stderr=subprocess.DEVNULL)
    with reaped(process):
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
            await _eventually(lambda: _answers(client, "/ready", 200), 30)
            await redis_down_and_up.kill()
            refused = await _post_person(client, "p-1")
            assert refused.status_code == 503 and "retry-after" in refused.headers
            await _eventually(lambda: _answers(client, "/ready", 503))
            await redis_down_and_up.start()
            await _eventually(lambda: _answers(client, "/ready", 200))
            assert (await _post_person(client, "p-2")).status_code == 202
            await _eventually(lambda: _has_person(catalog, "p-2"))
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=10) == 0
    assert not await _has_person(catalog, "p-1")


async def _post_person(client: httpx.AsyncClient, identifier: str) -> httpx.Response:
    person = {"id": identifier, "first_name": "Ada", "last_name": "L", "email": "a@x", "age": 36}
    body = json.dumps({"person": person}).encode()
    headers = {"x-hub-signature-256": sign("s3cret", body)}
    return await client.post("/integration/person", content=body, headers=headers)


async def _answers(client: httpx.AsyncClient, path: str, status: int) -> bool:
    try:
        return (await client.get(path)).status_code == status
    except httpx.TransportError:  # not listening yet
        return False


async def _has_person(catalog: Path, identifier: str) -> bool:
    if not catalog.exists():
        return False
    db = sqlite3.connect(catalog)
    try:
        row = db.execute(
            "SELECT 1 FROM entities WHERE blueprint = 'fakePerson' AND identifier = ?",
            (identifier,),
        ).fetchone()
    except sqlite3.OperationalError:  # not created yet
        return False
    finally:
        db.close()
    return row is not None


async def test_the_sqlite_queue_is_ready_and_accepts_events(workspace: Workspace) -> None:
    live = with_processors(workspace)
    async with live_server(live) as server:  # the default queue: a file beside the catalog
        server.service.metrics.started()
        ready = await _ready(server)
        assert ready.status_code == 200 and ready.json()["ok"] is True, ready.text
        assert (await server.post(service_event("svc-1", stars=4))).status_code == 202
        await _eventually(lambda: _is(live, "svc-1", 4))


def test_the_backoff_doubles_up_to_its_cap() -> None:
    outage = Outage(cap=0.2)
    delays = [outage.delay(attempt) for attempt in range(12)]
    assert delays[0] <= FIRST_DELAY * 1.2 and delays[1] >= FIRST_DELAY * 2 * 0.8
    assert all(delay <= 0.2 * 1.2 for delay in delays) and delays[-1] >= 0.2 * 0.8


async def test_an_event_the_sqlite_queue_cannot_store_is_refused_not_lost(tmp_path: Path) -> None:
    queue = await SQLiteEventQueue.open(tmp_path / "events.db", "svc")
    try:
        other = sqlite3.connect(tmp_path / "events.db")
        other.execute("DROP TABLE live_events")  # any failure to write, as a full disk would be
        other.commit()
        other.close()

        with pytest.raises(QueueUnavailableError, match="could not store the event"):
            await queue.put("/hook", {"id": 1}, {}, None, b'{"id": 1}')
    finally:
        await queue.close()
