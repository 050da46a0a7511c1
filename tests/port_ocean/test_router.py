"""Routes an original-style integration adds to ``ocean.router`` are served under
``/integration``, by the app and by a real ``ocean sail`` process, which runs the
integration's stop callbacks when it is stopped."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import httpx
from prometheus_client import CollectorRegistry

from ocean.listen.http import create_app
from ocean.listen.once import start
from ocean.monitor.metrics import Metrics
from ocean.sail import prepare
from ocean.store.sqlite.store import SQLiteStore
from tests.loopback import free_port, reaped, until
from tests.port_ocean.folders import entities_of, plain_folder

ROUTER_MAIN = """
import os
from pathlib import Path
from typing import Any
from fastapi import Request
from port_ocean.context.ocean import ocean
from port_ocean.context.event import event
from port_ocean.utils.signal import signal_handler

@ocean.on_start()
async def start() -> None:
    signal_handler.register(lambda: Path(os.environ["STOPPED_FILE"]).write_text("closed"))

@ocean.router.post("/webhook")
async def webhook(data: dict[str, Any]) -> dict[str, Any]:
    await ocean.register_raw("project", [data["project"]])
    return {"ok": True}

@ocean.router.get("/kinds")
async def kinds() -> dict[str, Any]:
    return {"kinds": [r.kind for r in event.port_app_config.resources], "type": event.event_type}

@ocean.app.fast_api_app.middleware("cloud_event")
async def validated(request: Request, call_next: Any) -> Any:
    from fastapi import Response
    if request.method == "OPTIONS":
        return Response(status_code=200, headers={"WebHook-Allowed-Origin": "*"})
    if request.headers.get("x-signature") == "forged":
        return Response(status_code=401, content="bad signature")
    response = await call_next(request)
    response.headers["x-checked"] = response.headers.get("x-checked", "") + "once"
    return response

@ocean.router.get("/echo/{word}")
async def echo(word: str, request: Request) -> dict[str, str]:
    return {"word": word, "agent": request.headers["user-agent"]}
"""


async def test_routes_on_ocean_router_are_served_under_integration(tmp_path: Path) -> None:
    folder = plain_folder(tmp_path, ROUTER_MAIN)
    prepare(folder, environ={}, overrides={})  # main.py imported twice: nothing doubled
    sail = prepare(folder, environ={}, overrides={})
    store = await SQLiteStore.open(tmp_path / "c.db")
    try:
        await start(sail, store)
        metrics = Metrics(CollectorRegistry())
        app = create_app(store=store, identifier=sail.owner.identifier, metrics=metrics,
                         token=None, extra_routes=sail.folder.integration.http_routes())  # fmt: skip
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://ocean") as client:
            project = {"key": "OPS", "name": "Operations", "owner": "me"}
            posted = await client.post("/integration/webhook", json={"project": project})
            echoed = await client.get("/integration/echo/hi", headers={"user-agent": "t"})
            missing = await client.get("/integration/nowhere")
            kinds = await client.get("/integration/kinds")
            options = await client.options("/integration/webhook")
            forged = await client.get("/integration/kinds", headers={"x-signature": "forged"})
        entities = await entities_of(store)
    finally:
        await store.close()

    assert (posted.status_code, posted.json()) == (200, {"ok": True})
    assert echoed.json() == {"word": "hi", "agent": "t"}
    assert missing.status_code in (404, 405)
    assert kinds.json() == {"kinds": ["project"], "type": "http_request"}
    assert kinds.headers["x-checked"] == "once"
    assert (options.status_code, options.headers["webhook-allowed-origin"]) == (200, "*")
    assert (forged.status_code, forged.text) == (401, "bad signature")
    assert sorted(entities) == ["OPS"]


async def test_ocean_sail_serves_the_router_of_an_original_style_integration(
    tmp_path: Path,
) -> None:
    folder, catalog, port = plain_folder(tmp_path, ROUTER_MAIN), tmp_path / "c.db", free_port()
    stopped = tmp_path / "stopped.txt"
    env = os.environ | {
        "OCEAN__EVENT_LISTENER__TYPE": "WEBHOOKS_ONLY",
        "STOPPED_FILE": str(stopped),
    }
    command = [sys.executable, "-m", "ocean", "sail", str(folder), "--catalog", str(catalog),
               "--port", str(port), "--quiet"]  # fmt: skip
    base = f"http://127.0.0.1:{port}/integration"
    with reaped(subprocess.Popen(command, env=env, cwd=tmp_path)) as process:
        until(lambda: httpx.get(f"http://127.0.0.1:{port}/health").status_code == 200)
        project = {"key": "OPS", "name": "Operations", "owner": "me"}
        posted = httpx.post(f"{base}/webhook", json={"project": project})
        echoed = httpx.get(f"{base}/echo/hi", headers={"user-agent": "t"})
        assert not stopped.exists()
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=10) == 0
    assert stopped.read_text() == "closed"
    store = await SQLiteStore.open(catalog)
    try:
        entities = await entities_of(store)
    finally:
        await store.close()

    assert (posted.status_code, echoed.json()) == (200, {"word": "hi", "agent": "t"})
    assert sorted(entities) == ["OPS"]
