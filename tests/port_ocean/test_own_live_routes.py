"""An integration whose ``__init__`` installs a live-event manager that registers its own
route (okta answers Okta's GET verification challenge, datadog splits a batch into events):
the route is served, and what it queues is checked and applied by Ocean's live engine."""

from __future__ import annotations

import json

import pytest

from ocean.sail import prepare
from tests.conftest import Workspace
from tests.live.harness import live_server

MAIN = """
from port_ocean.context.ocean import ocean
from port_ocean.core.handlers.webhook.abstract_webhook_processor import AbstractWebhookProcessor
from port_ocean.core.handlers.webhook.webhook_event import WebhookEventRawResults


@ocean.on_resync("service")
async def services(kind):
    return []


class ServiceProcessor(AbstractWebhookProcessor):
    async def should_process_event(self, event):
        return "service" in event.payload

    async def get_matching_kinds(self, event):
        return ["service"]

    async def authenticate(self, payload, headers):
        return headers.get("x-token") == "t0ken"

    async def validate_payload(self, payload):
        return True

    async def handle_event(self, payload, resource_config):
        return WebhookEventRawResults(updated_raw_results=[payload["service"]])


ocean.add_webhook_processor("/batch", ServiceProcessor)
ocean.add_webhook_processor("/hook/{group_id}", ServiceProcessor)
"""

INTEGRATION = """
from fastapi import Request
from port_ocean.core.handlers.webhook.processor_manager import LiveEventsProcessorManager
from port_ocean.core.handlers.webhook.webhook_event import WebhookEvent
from port_ocean.core.integrations.base import BaseIntegration
from port_ocean.utils.signal import signal_handler


class ChallengingManager(LiveEventsProcessorManager):
    def _register_route(self, path):
        async def handle(request: Request):
            if request.method == "GET":
                return {"verification": request.headers.get("x-verification-challenge")}
            try:
                body = await request.json()
                if not isinstance(body, list):  # as okta's: the request's own event
                    await self._event_queues[path].put(await WebhookEvent.from_request(request))
                for item in body if isinstance(body, list) else []:  # as datadog's: split
                    event = WebhookEvent(trace_id="t", payload=item, headers=dict(request.headers))
                    await self._event_queues[path].put(event)
            except Exception as error:
                return {"status": "error", "message": str(error)}
            return {"status": "ok"}

        self._router.add_api_route(path, handle, methods=["POST", "GET"])


class ChallengingIntegration(BaseIntegration):
    def __init__(self, context):
        super().__init__(context)
        self.context.app.webhook_manager = ChallengingManager(  # as okta's and datadog's
            self.context.app.integration_router,
            signal_handler,
            self.context.config.max_event_processing_seconds,
            self.context.config.max_wait_seconds_before_shutdown,
        )
"""


@pytest.fixture
def challenging(workspace: Workspace) -> Workspace:
    (workspace.folder / "main.py").write_text(MAIN)
    (workspace.folder / "integration.py").write_text(INTEGRATION)
    return workspace


def service(identifier: str) -> dict[str, object]:
    return {"service": {"id": identifier, "name": identifier, "url": "https://x", "stars": 1}}


async def test_the_integrations_own_route_answers_and_its_events_are_applied(
    challenging: Workspace,
) -> None:
    async with live_server(challenging) as server:
        url = f"{server.base}/integration/batch"
        challenge = await server.client.get(url, headers={"x-verification-challenge": "abc"})
        batch = [service("svc-a"), service("svc-b")]
        posted = await server.client.post(url, content=json.dumps(batch),
                                          headers={"x-token": "t0ken"})  # fmt: skip
        refused = await server.client.post(url, content=json.dumps(service("svc-c")),
                                           headers={"x-token": "wrong"})  # fmt: skip
        await server.settled()

    assert challenge.json() == {"verification": "abc"}
    assert posted.json() == {"status": "ok"}
    assert refused.json()["status"] == "error" and "authenticate" in refused.json()["message"]
    assert set(await challenging.entities("service")) == {"svc-a", "svc-b"}


async def test_an_event_a_route_takes_whole_keeps_its_path_and_body_and_the_size_limit(
    challenging: Workspace,
) -> None:
    """A template path (``/hook/{group_id}``), the request's own body, and the limit on it."""
    async with live_server(challenging, {"OCEAN__LIVE_EVENTS__MAX_BODY_BYTES": "300"}) as server:
        url = f"{server.base}/integration/hook/g-1"
        one = await server.client.post(url, content=json.dumps(service("svc-d")),
                                       headers={"x-token": "t0ken"})  # fmt: skip
        big = service("svc-e") | {"padding": "x" * 400}
        too_big = await server.client.post(url, content=json.dumps(big),
                                           headers={"x-token": "t0ken"})  # fmt: skip
        await server.settled()

    assert one.json() == {"status": "ok"}
    assert too_big.json()["status"] == "error" and "the limit is 300" in too_big.json()["message"]
    assert set(await challenging.entities("service")) == {"svc-d"}


def test_a_folder_loaded_again_serves_its_own_route_once_and_no_sink_is_left(
    challenging: Workspace,
) -> None:
    for _ in range(3):
        sail = prepare(challenging.folder, environ=challenging.environ, overrides={})
    routes = [route.path for route in sail.folder.integration.http_routes()]

    assert routes.count("/integration/batch") == 1 and sail.folder.integration.live_sink is None
