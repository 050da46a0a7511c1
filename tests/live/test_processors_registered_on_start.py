"""``ocean sail`` serves the processors an ``on_start`` hook registers as it serves those
registered at import, with or without acceptor processes (which run no hooks)."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys

import httpx
import pytest

from tests.conftest import MAIN_PY, Workspace
from tests.live.harness import ACCEPTING, service_event, signed
from tests.loopback import free_port, reaped, until

ON_START = """
class Services(Accepting):
    async def handle_event(self, payload, resource_config):
        return WebhookEventRawResults(updated_raw_results=[payload["service"]])

@ocean.on_start()
async def start():
    ocean.add_webhook_processor("/webhook", Services)
"""


@pytest.mark.parametrize("acceptors", ["0", "2"])
async def test_a_processor_registered_in_on_start_is_served(
    workspace: Workspace, acceptors: str
) -> None:
    (workspace.folder / "main.py").write_text(MAIN_PY + ACCEPTING + ON_START)
    port = free_port()
    env = (
        os.environ
        | workspace.environ
        | {
            "OCEAN__EVENT_LISTENER__TYPE": "WEBHOOKS_ONLY",
            "OCEAN__LIVE_EVENTS__ACCEPTORS": acceptors,
        }
    )
    command = [sys.executable, "-m", "ocean", "sail", str(workspace.folder), "--catalog",
               str(workspace.catalog), "--port", str(port), "--quiet"]  # fmt: skip
    process = subprocess.Popen(command, env=env, cwd=workspace.root)
    body, headers = signed(service_event("svc-1", 3))
    url = f"http://127.0.0.1:{port}/integration/webhook"

    def answered() -> httpx.Response | None:  # 404 until the hook has run
        response = httpx.post(url, content=body, headers=headers)
        return None if response.status_code == 404 else response

    with reaped(process):
        assert until(answered).status_code == 202
        nowhere = httpx.post(f"http://127.0.0.1:{port}/integration/nowhere", content=body)
        assert nowhere.status_code == 404 and "/webhook" in nowhere.json()["message"]
        async with asyncio.timeout(10):
            while "svc-1" not in await workspace.entities("service"):
                await asyncio.sleep(0.05)
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=10) == 0
