"""``OCEAN__SCHEDULED_RESYNC_INTERVAL``: scheduled resyncs beside every listener that
resyncs (KAFKA with a stand-in consumer, no broker)."""

from __future__ import annotations

import asyncio

import pytest

import ocean.listen.kafka as kafka
from ocean.job import SilentObserver
from ocean.listen.listener import listen
from ocean.monitor.report import ResyncReport
from ocean.sail import prepare
from ocean.store.sqlite.store import SQLiteStore
from tests.conftest import TEAMS, Workspace, services
from tests.listen.fake_kafka import FakeConsumer


@pytest.mark.parametrize("listener", ["POLLING", "WEBHOOK", "KAFKA"])
async def test_scheduled_resyncs_run_beside_the_listener(
    workspace: Workspace, monkeypatch: pytest.MonkeyPatch, listener: str
) -> None:
    monkeypatch.setattr(kafka, "AIOKafkaConsumer", FakeConsumer)
    workspace.set_data(services=[services(1)], teams=TEAMS)
    environ = workspace.environ | {
        "OCEAN__EVENT_LISTENER__TYPE": listener,
        "OCEAN__EVENT_LISTENER__INTERVAL": "0.02",
        "OCEAN__EVENT_LISTENER__ORG_ID": "org",
        "OCEAN__EVENT_LISTENER__KAFKA_SECURITY_ENABLED": "false",
        "OCEAN__EVENT_LISTENER__CONSUMER_POLL_TIMEOUT": "0.02",
        "OCEAN__SCHEDULED_RESYNC_INTERVAL": "0.002",  # minutes: 0.12 s
    }
    sail = prepare(workspace.folder, environ=environ, overrides={})
    store = await SQLiteStore.open(workspace.catalog)
    reports: list[ResyncReport] = []
    stop = asyncio.Event()
    listening = asyncio.create_task(
        listen(sail, store, SilentObserver(), stop=stop, on_report=reports.append, freshness=None)
    )
    try:
        async with asyncio.timeout(10):
            while len(reports) < 3:
                await asyncio.sleep(0.01)
    finally:
        stop.set()
        await asyncio.wait_for(listening, timeout=10)
        await store.close()

    assert [report.trigger for report in reports[:3]] == ["start", "schedule", "schedule"]
    assert all(report.status == "completed" for report in reports)
