"""Against a Port API a sail that never resyncs (WEBHOOKS_ONLY) reads the mapping Port
keeps again for its live events, at most once a minute, as the original's 60 s cache; a
mapping that cannot be used leaves the one in use."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry

from ocean.listen.once import start
from ocean.live.service import LiveService
from ocean.monitor.metrics import Metrics
from ocean.sail import prepare
from tests.conftest import TEAMS, Workspace
from tests.live.harness import service_event, with_processors
from tests.store.port.fake_port import FakePort, client

INTEGRATION = "my-integration-integration"


async def _serving(tmp_path: Path, listener: str, ttl: float) -> tuple[FakePort, LiveService]:
    """A started integration's live events against a fake Port, reading the mapping again
    after ``ttl`` seconds where its listener does."""
    workspace = with_processors(Workspace(tmp_path))
    workspace.set_data(services=[], teams=TEAMS)
    environ = workspace.environ | {
        "OCEAN__EVENT_LISTENER__TYPE": listener,
        "OCEAN__LIVE_EVENTS__QUEUE_URL": f"sqlite:///{tmp_path / 'events.db'}",
    }
    sail = prepare(workspace.folder, environ=environ, overrides={})
    port = FakePort()
    store = client(port)
    await start(sail, store)
    service = await LiveService.open(sail, store, Metrics(CollectorRegistry()))
    assert service is not None
    service.mapping_ttl = ttl
    return port, service


async def _applied(service: LiveService, *identifiers: str) -> None:
    """Queue an event per identifier and apply them all."""
    for identifier in identifiers:
        await service.queue.put("/webhook", service_event(identifier, 5), {}, identifier)
    stop = asyncio.Event()
    working = asyncio.create_task(service.run(stop))
    async with asyncio.timeout(20):
        while await service.queue.depth():
            await asyncio.sleep(0.02)
    stop.set()
    await working


@pytest.mark.parametrize(
    ("listener", "ttl", "title"),
    [
        ("WEBHOOKS_ONLY", 0.0, "svc-2 (from Port)"),
        ("WEBHOOKS_ONLY", 60.0, "svc-2"),
        ("POLLING", 0.0, "svc-2"),
    ],
    ids=["webhooks-only-after-the-ttl", "webhooks-only-within-the-ttl", "polling-at-resyncs"],
)
async def test_a_webhooks_only_sail_reads_the_mapping_port_keeps_again(
    tmp_path: Path,
    listener: str,
    ttl: float,
    title: str,
) -> None:
    port, service = await _serving(tmp_path, listener, ttl)
    try:
        await _applied(service, "svc-1")
        mappings = port.integrations[INTEGRATION]["config"]["resources"][1]["port"]["entity"]
        mappings["mappings"]["title"] = '.name + " (from Port)"'
        await _applied(service, "svc-2")
    finally:
        await service.close()

    assert port.entities[("service", "svc-1")]["title"] == "svc-1"
    assert port.entities[("service", "svc-2")]["title"] == title


async def test_a_mapping_port_empties_leaves_the_one_in_use(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    port, service = await _serving(tmp_path, "WEBHOOKS_ONLY", 0.0)
    port.integrations[INTEGRATION]["config"] = {}
    try:
        with caplog.at_level(logging.ERROR, logger="ocean.live.service"):
            await _applied(service, "svc-1")
    finally:
        await service.close()

    assert port.entities[("service", "svc-1")]["title"] == "svc-1"
    assert "is empty" in caplog.text and "live events use the one in use" in caplog.text
