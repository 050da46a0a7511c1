"""The Port API client against a real catalog server on loopback that misbehaves: 429 with
Retry-After, 503, answers slower than the client's timeout, and garbage."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import pytest
import uvicorn
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ocean.job import SilentObserver
from ocean.listen.once import run_once
from ocean.sail import prepare
from ocean.server.app import create_app
from ocean.store.open import open_store
from ocean.store.port.http import PortAPIError, PortHTTP
from ocean.store.port.limits import HEADER
from ocean.store.port.store import PortAPIStore
from tests.conftest import TEAMS, Workspace, services
from tests.loopback import free_port

BULK = "POST /v1/blueprints/service/entities/bulk"
OWNED = "POST /v1/blueprints/entities/datasource-entities"


@dataclass
class Faults:
    """ASGI middleware: the next calls of a route get the planned faults, in order."""

    app: ASGIApp
    plan: dict[str, list[str]] = field(default_factory=dict)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        planned = (
            self.plan.get(f"{scope.get('method')} {scope.get('path')}")
            if scope["type"] == "http"
            else None
        )
        fault = planned.pop(0) if planned else None
        if fault == "slow":
            await asyncio.sleep(0.6)  # the client gave up at 0.3 s; the write still happens
        answer = _answers().get(fault or "")
        await (answer or self.app)(scope, receive, _as_port(send))


def _as_port(send: Send) -> Send:
    """Answers without the offer of Ocean's larger limits: the client talks as to Port."""

    async def sending(message: Message) -> None:
        if message["type"] == "http.response.start":
            offer = HEADER.lower().encode()
            message["headers"] = [(k, v) for k, v in message["headers"] if k.lower() != offer]
        await send(message)

    return sending


def _answers() -> dict[str, Response]:
    return {
        "429": JSONResponse({"ok": False, "error": "rate_limited"}, 429, {"Retry-After": "0.2"}),
        "503": JSONResponse({"ok": False, "error": "unavailable"}, 503),
        "garbage": PlainTextResponse("<html>proxy error</html>", 200),
    }


@asynccontextmanager
async def faulty_catalog(workspace: Workspace) -> AsyncIterator[tuple[Faults, PortAPIStore]]:
    store = await open_store(str(workspace.catalog))
    client_id, secret = await store.create_credentials("faults")
    faults, port = Faults(create_app(store)), free_port()
    server = uvicorn.Server(
        uvicorn.Config(faults, host="127.0.0.1", port=port, log_level="critical")
    )
    serving = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.01)
    http = PortHTTP(f"http://127.0.0.1:{port}", client_id, secret, user_agent="port-ocean/test",
                    timeout=0.3, base_delay=0.01, attempts=4)  # fmt: skip
    try:
        yield faults, PortAPIStore(http)
    finally:
        await http.close()
        server.should_exit = True
        await serving
        await store.close()


async def _sail(workspace: Workspace, client: PortAPIStore) -> Any:
    return await run_once(prepare(workspace.folder, environ=workspace.environ, overrides={}),
                          client, SilentObserver())  # fmt: skip


async def test_a_resync_converges_through_rate_limits_outages_timeouts_and_garbage(
    workspace: Workspace,
) -> None:
    workspace.set_data(services=[services(30)], teams=TEAMS)
    async with faulty_catalog(workspace) as (faults, client):
        faults.plan = {
            "GET /v1/blueprints": ["503"],
            BULK: ["429", "slow", "garbage", "503"],
            "POST /v1/entities/search": ["503", "garbage"],
            OWNED: ["429", "slow"],
        }
        first = await _sail(workspace, client)
        assert not any(faults.plan.values()), "every planned fault was served"
        again = await _sail(workspace, client)
    assert first.status == "completed", first.errors
    assert {k.kind: (k.created, k.failed) for k in first.kinds} == {
        "team": (2, 0),
        "service": (30, 0),
    }
    assert again.status == "completed"
    assert sum(k.created + k.updated for k in again.kinds) == 0, "a rerun wrote something again"
    assert len(await workspace.entities("service")) == 30


async def test_a_failed_ownership_read_deletes_nothing_and_the_next_resync_converges(
    workspace: Workspace,
) -> None:
    workspace.set_data(services=[services(5)], teams=TEAMS)
    async with faulty_catalog(workspace) as (faults, client):
        await _sail(workspace, client)
        workspace.set_data(services=[services(2)], teams=TEAMS)
        faults.plan = {OWNED: ["503"] * 4}
        with pytest.raises(PortAPIError, match="datasource-entities failed with 503"):
            await _sail(workspace, client)
        assert len(await workspace.entities("service")) == 5
        converged = await _sail(workspace, client)
    assert converged.status == "completed" and converged.deleted == 3
    assert set(await workspace.entities("service")) == {"svc-0", "svc-1"}
