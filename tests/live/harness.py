"""A live-event server in-process: the workspace integration plus webhook processors,
served by uvicorn on a loopback port, its workers applying events to a real catalog."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import uvicorn
from prometheus_client import CollectorRegistry

from ocean.listen.http import create_app
from ocean.live.service import LiveService
from ocean.live.signature import sign
from ocean.monitor.metrics import Metrics
from ocean.sail import prepare
from ocean.store.base import Store
from ocean.store.open import open_store
from tests.conftest import MAIN_PY, Workspace
from tests.loopback import free_port

SECRET = "hook-secret"

PROCESSORS = """
import asyncio, json, os
from ocean.live.processor import WebhookProcessor, WebhookEventRawResults
from ocean.live.signature import verify

class ServiceProcessor(WebhookProcessor):
    initial_retry_delay_seconds = 0.01
    max_retries = 2

    async def should_process_event(self, event):
        return "service" in event.payload

    async def get_matching_kinds(self, event):
        return ["service"]

    async def authenticate(self, payload, headers):
        return verify("hook-secret", self.event.body, headers.get("x-hub-signature-256"))

    async def validate_payload(self, payload):
        return payload.get("action") in ("updated", "deleted")

    def group_key(self, event):
        return event.payload["service"]["id"]

    async def handle_event(self, payload, resource_config):
        log = os.environ.get("OCEAN_TEST_EVENT_LOG")
        if log:
            with open(log, "a") as handle:
                handle.write(json.dumps(payload) + "\\n")
        await asyncio.sleep(payload.get("delay", 0))
        while payload.get("hold_while") and os.path.exists(payload["hold_while"]):
            await asyncio.sleep(0.01)
        if payload.get("fail_while") and os.path.exists(payload["fail_while"]):
            raise RuntimeError(f"upstream said no to {payload['service']['id']}")
        if payload["action"] == "deleted":
            return WebhookEventRawResults(deleted_raw_results=[payload["service"]])
        return WebhookEventRawResults(updated_raw_results=[payload["service"]])

class SignedRequestProcessor(ServiceProcessor):
    # Checks the signature of the request itself whenever asked, as processors written for
    # the original do (event._original_request): in the route and again in the worker.

    async def should_process_event(self, event):
        request = event._original_request
        signature = request.headers.get("X-Hub-Signature-256")  # any case, as Starlette's
        return verify("hook-secret", await request.body(), signature) and (
            request.url.path == "/integration/signed"
        )

    async def authenticate(self, payload, headers):
        return True

ocean.add_webhook_processor("/webhook", ServiceProcessor)
ocean.add_webhook_processor("/signed", SignedRequestProcessor)
ocean.add_webhook_processor("/hook/{group_id}", ServiceProcessor)
"""

ACCEPTING = """
from ocean.live.processor import WebhookProcessor, WebhookEventRawResults

class Accepting(WebhookProcessor):
    # Takes every event, unchecked, as one of kind "service"; registered nowhere.

    async def should_process_event(self, event):
        return True

    async def get_matching_kinds(self, event):
        return ["service"]

    async def authenticate(self, payload, headers):
        return True

    async def validate_payload(self, payload):
        return True
"""


def with_processors(workspace: Workspace) -> Workspace:
    (workspace.folder / "main.py").write_text(MAIN_PY + PROCESSORS)
    return workspace


def signed(payload: dict[str, Any], secret: str = SECRET) -> tuple[bytes, dict[str, str]]:
    body = json.dumps(payload).encode()
    return body, {"x-hub-signature-256": sign(secret, body), "content-type": "application/json"}


def service_event(identifier: str, stars: int, **extra: Any) -> dict[str, Any]:
    service = {
        "id": identifier,
        "name": identifier,
        "url": "https://x",
        "stars": stars,
        "team": None,
    }
    return {"action": "updated", "service": service} | extra


@dataclass
class LiveServer:
    base: str
    client: httpx.AsyncClient
    service: LiveService
    store: Store

    async def post(self, payload: dict[str, Any], path: str = "/webhook") -> httpx.Response:
        body, headers = signed(payload)
        return await self.client.post(
            f"{self.base}/integration{path}", content=body, headers=headers
        )

    async def settled(self, timeout: float = 20.0) -> None:
        """Until the queue is empty and nothing is being applied."""
        async with asyncio.timeout(timeout):
            while await self.service.queue.depth():
                await asyncio.sleep(0.02)


@contextlib.asynccontextmanager
async def live_server(
    workspace: Workspace, environ: dict[str, str] | None = None
) -> AsyncIterator[LiveServer]:
    environ = workspace.environ | (environ or {})
    sail = prepare(
        workspace.folder, environ=environ, overrides={"catalog": {"url": str(workspace.catalog)}}
    )
    store = await open_store(str(workspace.catalog))
    await store.create_blueprints(sail.folder.blueprints)
    metrics = Metrics(CollectorRegistry())
    service = await LiveService.open(sail, store, metrics)
    assert service is not None
    routes = [*sail.folder.integration.http_routes(), *service.routes]  # as ocean sail's
    app = create_app(store=store, identifier=sail.owner.identifier, metrics=metrics, token=None,
                     extra_routes=routes, readiness=[service.unready])  # fmt: skip
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    )
    server.capture_signals = contextlib.nullcontext  # type: ignore[method-assign,assignment]
    serving = asyncio.create_task(server.serve())
    stop = asyncio.Event()
    working = asyncio.create_task(service.run(stop))
    while not server.started:
        await asyncio.sleep(0.01)
    try:
        async with httpx.AsyncClient() as client:
            yield LiveServer(f"http://127.0.0.1:{port}", client, service, store)
    finally:
        stop.set()
        await working
        server.should_exit = True
        await serving
        await service.close()
        await store.close()
