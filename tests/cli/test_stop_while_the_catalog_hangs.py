"""``ocean sail`` stops within its grace while its catalog (Ocean's own server reached as a
Port API, through a proxy that stops answering) hangs: before, SIGTERM waited for the Port
client's retries of the call under way, each waiting its 60 s timeout."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ocean.server.app import create_app
from tests import loopback
from tests.conftest import TEAMS, Workspace, services
from tests.server.serving import fresh_catalog

LAUNCH = (  # `ocean` with a short grace, so that the test waits 1 s rather than 10
    "import sys; from ocean.cli import watchdog; watchdog.STOP_GRACE = 1.0; "
    "from ocean.cli.main import main; main()"
)


def _proxy(client: httpx.AsyncClient, hung: asyncio.Event, released: asyncio.Event) -> Starlette:
    """Passes calls on through ``client``, but answers none reading the blueprints (the
    sail's start reads them) until ``released``: ``hung`` is set once one came."""

    async def forward(request: Request) -> Response:
        if request.url.path == "/v1/blueprints":
            hung.set()
            await released.wait()
            return Response(status_code=503)
        headers = {k: v for k, v in request.headers.items() if k not in ("host", "content-length")}
        answer = await client.request(request.method, request.url.path, headers=headers,
                                      params=request.query_params, content=await request.body())  # fmt: skip
        kept = {k: v for k, v in answer.headers.items() if k in ("content-type", "x-ocean-limits")}
        return Response(answer.content, answer.status_code, headers=kept)

    methods = ["GET", "POST", "PUT", "PATCH", "DELETE"]
    return Starlette(routes=[Route("/{path:path}", forward, methods=methods)])


async def test_a_sail_stops_within_its_grace_while_the_catalog_does_not_answer(
    tmp_path: Path,
) -> None:
    workspace = Workspace(tmp_path)
    workspace.set_data(services=[services(2)], teams=TEAMS)
    hung, released = asyncio.Event(), asyncio.Event()
    async with fresh_catalog("sqlite", tmp_path) as catalog:
        client_id, secret = await catalog.create_credentials("sail")
        async with (
            loopback.served(create_app(catalog)) as base,
            httpx.AsyncClient(base_url=base) as upstream,
            loopback.served(_proxy(upstream, hung, released)) as proxied,
        ):
            environ = os.environ | workspace.environ | {
                "OCEAN__PORT__CLIENT_ID": client_id, "OCEAN__PORT__CLIENT_SECRET": secret,
                "OCEAN__EVENT_LISTENER__TYPE": "WEBHOOKS_ONLY", "OCEAN__LOG_LEVEL": "WARNING",
            }  # fmt: skip
            command = [sys.executable, "-c", LAUNCH, "sail", str(workspace.folder),
                       "--catalog", proxied, "--port", "0"]  # fmt: skip
            sail = subprocess.Popen(
                command, env=environ, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
            )
            try:
                await asyncio.wait_for(hung.wait(), timeout=60)  # its start waits for it
                await asyncio.sleep(0.5)
                sail.send_signal(signal.SIGTERM)
                stopped_at = time.monotonic()
                while sail.poll() is None and time.monotonic() - stopped_at < 15:
                    await asyncio.sleep(0.1)
                took = time.monotonic() - stopped_at
            finally:
                sail.kill()  # (ended already, unless the test failed)
                output, _ = sail.communicate()
                released.set()  # (the servers stop once their requests are answered)

    said = " ".join(output.decode().split())
    assert took < 15, f"the sail was still running {took:.0f} s after SIGTERM"
    assert "the listener did not stop within 1 s of the stop" in said, said[-2000:]
