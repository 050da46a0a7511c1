"""A sail stops promptly while its Port API catalog hangs: the listener's check of the
resync requests, which the client would otherwise send again for many minutes (each try
waiting its 60 s timeout), gives way to the stop. Ocean's own catalog server is real; the
connection to it stops answering."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx

from ocean.job import SilentObserver
from ocean.listen.polling import poll
from ocean.monitor.report import ResyncReport
from ocean.sail import prepare
from ocean.server.app import create_app
from ocean.store.port.store import PortAPIStore
from tests import loopback
from tests.conftest import TEAMS, Workspace, services
from tests.server.serving import fresh_catalog


class _Hanging(httpx.AsyncHTTPTransport):
    """The real connection to the server, until ``hanging`` is set: then the resync
    requests' route never answers (``hung`` is set when one is sent)."""

    def __init__(self) -> None:
        super().__init__()
        self.hanging, self.hung = asyncio.Event(), asyncio.Event()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if self.hanging.is_set() and request.url.path.endswith("/resync-request"):
            self.hung.set()
            await asyncio.Event().wait()  # no answer, ever
        return await super().handle_async_request(request)


async def test_a_stop_is_not_held_up_by_a_check_of_the_requests_the_catalog_never_answers(
    tmp_path: Path,
) -> None:
    workspace = Workspace(tmp_path)
    workspace.set_data(services=[services(2)], teams=TEAMS)
    reports: list[ResyncReport] = []
    async with fresh_catalog("sqlite", tmp_path) as catalog:
        client_id, secret = await catalog.create_credentials("sail")
        async with loopback.served(create_app(catalog)) as base:
            environ = workspace.environ | {"OCEAN__EVENT_LISTENER__INTERVAL": "0.05"}
            sail = prepare(workspace.folder, environ=environ, overrides={})
            transport = _Hanging()
            store = PortAPIStore.connect(base, client_id, secret, transport=transport)
            stop = asyncio.Event()
            listening = asyncio.create_task(
                poll(sail, store, SilentObserver(), stop=stop, on_report=reports.append)
            )
            try:
                async with asyncio.timeout(30):
                    while not reports:  # the start resync went through
                        await asyncio.sleep(0.02)
                    transport.hanging.set()
                    await transport.hung.wait()
                stop.set()
                done, _ = await asyncio.wait({listening}, timeout=5)
            finally:
                listening.cancel()
                await asyncio.gather(listening, return_exceptions=True)
                await store.close()

    assert reports[0].status == "completed"
    assert done, "the listener was still waiting for the catalog 5 s after the stop"
    assert listening.exception() is None
