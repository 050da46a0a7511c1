"""An event whose failure the queue cannot record as it is does not block its key: an error
text holding a lone surrogate is kept escaped, and any other error of the queue while
finishing an event buries it with a generic message, the worker going on."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from ocean.live.queue import QueuedEvent
from ocean.live.sqlite_queue import SQLiteEventQueue
from ocean.live.workers import Workers
from tests.conftest import MAIN_PY, Workspace
from tests.live.harness import PROCESSORS, live_server, service_event

SURROGATE = """
class Surrogate(ServiceProcessor):
    max_retries = 0

    async def handle_event(self, payload, resource_config):
        if payload.get("boom"):  # a name or a program's output read with surrogateescape
            raise RuntimeError("upstream said " + b"caf\\xe9".decode("utf-8", "surrogateescape"))
        return await super().handle_event(payload, resource_config)

ocean.add_webhook_processor("/surrogate", Surrogate)
"""


async def test_a_failure_text_with_a_lone_surrogate_is_buried_escaped_and_its_key_goes_on(
    workspace: Workspace, backend_env: dict[str, str]
) -> None:
    (workspace.folder / "main.py").write_text(MAIN_PY + PROCESSORS + SURROGATE)
    async with live_server(workspace, backend_env) as server:
        await server.post(service_event("svc-1", 1, boom=True), path="/surrogate")
        await server.post(service_event("svc-1", 2), path="/surrogate")  # behind it
        await server.post(service_event("svc-2", 3), path="/surrogate")
        await server.settled(timeout=10)
        (dead,) = await server.service.queue.dead()

    assert dead.error is not None and "upstream said caf\\udce9" in dead.error
    stars = {k: v["properties"]["stars"] for k, v in (await workspace.entities("service")).items()}
    assert stars == {"svc-1": 2, "svc-2": 3}


class _Refusing:
    """A queue whose ``bury`` fails with an error that is not an outage, once."""

    def __init__(self, queue: SQLiteEventQueue) -> None:
        self._queue, self.refused = queue, 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self._queue, name)

    async def bury(self, event: QueuedEvent, error: str) -> None:
        if not self.refused:
            self.refused += 1
            raise ValueError("a bug in the queue")
        await self._queue.bury(event, error)


async def test_a_queue_error_while_finishing_buries_the_event_generically_and_frees_its_key(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    queue = await SQLiteEventQueue.open(tmp_path / "events.db", "svc")
    refusing = _Refusing(queue)
    applied: list[int] = []

    async def handle(event: QueuedEvent) -> str | None:
        if event.payload.get("fail"):
            return "upstream said no"
        applied.append(event.payload["n"])
        return None

    for n, fail in ((1, True), (2, False), (3, False)):
        await queue.put("/hook", {"n": n, "fail": fail}, {}, "k")
    stop = asyncio.Event()
    working = asyncio.create_task(Workers(refusing, handle, poll=0.05).run(stop))  # type: ignore[arg-type]
    try:
        async with asyncio.timeout(10):
            while await queue.depth():
                await asyncio.sleep(0.02)
    finally:
        stop.set()
        await working
    (dead,) = await queue.dead()
    await queue.close()

    assert applied == [2, 3]
    assert dead.error == "it failed, but the queue could not record it: see the integration's log"
    assert "ValueError: a bug in the queue" in caplog.text
