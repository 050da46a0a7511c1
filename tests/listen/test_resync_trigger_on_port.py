"""The WEBHOOK listener's ``POST /resync`` against a Port API catalog: Port's API has no
route that records a request, so the request is kept in the process for its own listener
(the watermark the listener checks moves), where it answered 500."""

from __future__ import annotations

from pathlib import Path

import httpx
from prometheus_client import CollectorRegistry

from ocean.listen.http import create_app as create_listener_app
from ocean.monitor.metrics import Metrics
from ocean.server.app import create_app
from ocean.store.port.store import PortAPIStore
from tests import loopback
from tests.server.serving import fresh_catalog


async def test_a_post_to_resync_on_a_port_catalog_moves_the_listeners_watermark(
    tmp_path: Path,
) -> None:
    async with fresh_catalog("sqlite", tmp_path) as catalog:
        client_id, secret = await catalog.create_credentials("port api")
        async with loopback.served(create_app(catalog)) as base:
            store = PortAPIStore.connect(base, client_id, secret)
            metrics = Metrics(CollectorRegistry(), process=False)
            app = create_listener_app(store=store, identifier="it", metrics=metrics, token="t")
            transport = httpx.ASGITransport(app=app)
            try:
                before = await store.resync_requested_at("it")
                async with httpx.AsyncClient(transport=transport, base_url="http://it") as it:
                    answer = await it.post("/resync", headers={"Authorization": "Bearer t"})
                after = await store.resync_requested_at("it")
            finally:
                await store.close()

    assert answer.status_code == 202, answer.text
    assert after != before and answer.json()["requestedAt"] in str(after)
