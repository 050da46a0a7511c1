"""A processor written for the original (no ``group_key``) has its path's events applied
one at a time, in arrival order, as the original does: a retried upsert cannot bring back
an entity a later delete removed. Processors that name a key keep their parallelism."""

from __future__ import annotations

import asyncio

from tests.conftest import MAIN_PY, Workspace
from tests.live.harness import PROCESSORS, live_server, service_event

ORIGINAL = """
from port_ocean.core.handlers.webhook.abstract_webhook_processor import AbstractWebhookProcessor
from port_ocean.core.handlers.webhook.webhook_event import WebhookEventRawResults

FAILED_ONCE = set()

class Original(AbstractWebhookProcessor):
    initial_retry_delay_seconds = 0.3

    async def should_process_event(self, event):
        return "service" in event.payload

    async def get_matching_kinds(self, event):
        return ["service"]

    async def authenticate(self, payload, headers):
        return True

    async def validate_payload(self, payload):
        return True

    async def handle_event(self, payload, resource_config):
        if payload.get("flaky") and payload["flaky"] not in FAILED_ONCE:
            FAILED_ONCE.add(payload["flaky"])
            raise RuntimeError("upstream 502, transient")
        if payload["action"] == "deleted":
            return WebhookEventRawResults(deleted_raw_results=[payload["service"]])
        return WebhookEventRawResults(updated_raw_results=[payload["service"]])

ocean.add_webhook_processor("/original", Original)
"""


async def test_a_retried_upsert_without_group_key_does_not_bring_back_a_later_delete(
    workspace: Workspace, backend_env: dict[str, str]
) -> None:
    (workspace.folder / "main.py").write_text(MAIN_PY + ORIGINAL)
    async with live_server(workspace, backend_env | {"OCEAN__EVENT_WORKERS_COUNT": "4"}) as server:
        await server.post(service_event("svc-1", 1), path="/original")
        await server.settled()
        assert set(await workspace.entities("service")) == {"svc-1"}
        await server.post(service_event("svc-1", 2, flaky="once"), path="/original")
        await server.post(service_event("svc-1", 2, action="deleted"), path="/original")
        await server.settled()
        assert await server.service.queue.dead() == []

    assert await workspace.entities("service") == {}


async def test_events_of_different_keys_still_apply_in_parallel(
    workspace: Workspace, backend_env: dict[str, str]
) -> None:
    (workspace.folder / "main.py").write_text(MAIN_PY + PROCESSORS)
    async with live_server(workspace, backend_env | {"OCEAN__EVENT_WORKERS_COUNT": "4"}) as server:
        await server.post(service_event("slow", 1, delay=3))
        await server.post(service_event("fast", 2))
        async with asyncio.timeout(2):  # the slow one is still being applied
            while "fast" not in await workspace.entities("service"):
                await asyncio.sleep(0.05)
        assert "slow" not in await workspace.entities("service")
        await server.settled()
