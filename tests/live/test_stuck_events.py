"""An event whose processing hangs or is cancelled from inside fails alone: its key and its
handling slot are freed, and the events behind it and beside it are applied. An integer
group key keeps its events in order whether they are read from memory or the queue's file."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from tests.conftest import MAIN_PY, Workspace
from tests.live.harness import PROCESSORS, live_server, service_event

STUCK = """
class Cancelling(ServiceProcessor):
    async def handle_event(self, payload, resource_config):
        if payload.get("cancel"):  # a task it awaits is cancelled by another component
            fetch = asyncio.ensure_future(asyncio.sleep(10))
            asyncio.get_running_loop().call_soon(fetch.cancel)
            await asyncio.gather(fetch)
        return await super().handle_event(payload, resource_config)


class Hanging(ServiceProcessor):
    async def before_processing(self):
        await asyncio.sleep(3600)


class IntKeyed(ServiceProcessor):
    initial_retry_delay_seconds = 1.0

    def group_key(self, event):
        return int(event.payload["gk"])


ocean.add_webhook_processor("/cancelling", Cancelling)
ocean.add_webhook_processor("/hanging", Hanging)
ocean.add_webhook_processor("/int-keyed", IntKeyed)
"""


@pytest.fixture
def stuck(workspace: Workspace) -> Workspace:
    (workspace.folder / "main.py").write_text(MAIN_PY + PROCESSORS + STUCK)
    return workspace


async def _stars(workspace: Workspace) -> dict[str, int]:
    return {k: v["properties"]["stars"] for k, v in (await workspace.entities("service")).items()}


async def test_an_event_cancelled_from_inside_is_buried_and_its_key_goes_on(
    stuck: Workspace,
) -> None:
    async with live_server(stuck) as server:
        await server.post(service_event("k", 1, cancel=True), path="/cancelling")
        await server.post(service_event("k", 2), path="/cancelling")
        await server.settled()
        (dead,) = await server.service.queue.dead()

    assert "CancelledError" in dead.error
    assert (await _stars(stuck))["k"] == 2


async def test_a_hook_that_hangs_times_out_and_frees_its_handling_slot(stuck: Workspace) -> None:
    settings = {"OCEAN__EVENT_WORKERS_COUNT": "2", "OCEAN__MAX_EVENT_PROCESSING_SECONDS": "1"}
    async with live_server(stuck, settings) as server:
        for n in range(2):
            await server.post(service_event(f"hung-{n}", 1), path="/hanging")
        await server.post(service_event("good", 5))
        await server.settled()
        dead = await server.service.queue.dead()

    assert len(dead) == 2 and all("MAX_EVENT_PROCESSING_SECONDS" in d.error for d in dead)
    assert (await _stars(stuck))["good"] == 5


async def test_an_integer_group_key_keeps_order_across_a_restart(
    stuck: Workspace, tmp_path: Path
) -> None:
    down = tmp_path / "down"
    down.touch()
    async with live_server(stuck) as server:  # the older event fails while the flag is there
        await server.post(service_event("svc", 1, gk=42, fail_while=str(down)), path="/int-keyed")
        await asyncio.sleep(0.3)
    async with live_server(stuck) as server:  # read back from the file, retried after 1 s
        await asyncio.sleep(0.3)
        await server.post(service_event("other", 0, gk=7), path="/int-keyed")
        await server.post(service_event("svc", 2, gk=42), path="/int-keyed")  # from memory
        await asyncio.sleep(0.4)
        down.unlink()
        await server.settled()

    assert (await _stars(stuck))["svc"] == 2
