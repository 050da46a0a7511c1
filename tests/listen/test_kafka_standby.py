"""A KAFKA-triggered resync that loses its lease is tried again until one completes, as a
POLLING one is (it was dropped, with its message's offset committed)."""

from __future__ import annotations

import asyncio

import pytest

import ocean.listen.kafka as kafka
from ocean.job import SilentObserver
from ocean.monitor.report import ResyncReport
from ocean.sail import prepare
from ocean.store.lease import LeaseHolder
from ocean.store.open import open_store
from tests.conftest import TEAMS, Workspace, services
from tests.listen.fake_kafka import FakeConsumer, resync_request

ANOTHER = LeaseHolder(id="another-process", host="elsewhere", pid=4242)


async def test_a_kafka_resync_that_lost_its_lease_is_tried_again_until_one_completes(
    workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(kafka, "AIOKafkaConsumer", FakeConsumer)
    workspace.set_data(services=[services(1, start=n) for n in range(8)], teams=TEAMS, slow=0.25)
    environ = workspace.environ | {
        "OCEAN__EVENT_LISTENER__TYPE": "KAFKA",
        "OCEAN__EVENT_LISTENER__ORG_ID": "org",
        "OCEAN__EVENT_LISTENER__KAFKA_SECURITY_ENABLED": "false",
        "OCEAN__EVENT_LISTENER__CONSUMER_POLL_TIMEOUT": "0.05",
        "OCEAN__EVENT_LISTENER__RESYNC_ON_START": "false",
        "OCEAN__RESYNC_LEASE_SECONDS": "1",
    }
    sail = prepare(workspace.folder, environ=environ, overrides={})
    store = await open_store(str(workspace.catalog))
    target, settings = await kafka.connection(sail.settings.event_listener, sail.owner, store)
    reports: list[ResyncReport] = []
    stop = asyncio.Event()
    listener = asyncio.create_task(
        kafka.consume(sail, store, SilentObserver(), stop=stop, target=target,
                      settings=settings, on_report=reports.append)
    )  # fmt: skip
    try:
        await asyncio.sleep(0.2)
        FakeConsumer.made[-1].queue.put_nowait(resync_request(sail.owner.identifier))
        while not await store.list_runs():
            await asyncio.sleep(0.02)
        # it stalled past its lease; another process took it over and died
        await store.release_lease(sail.owner.identifier, sail.lease_holder, completed=False)
        await store.acquire_lease(sail.owner.identifier, ANOTHER, 1)
        for _ in range(400):
            if reports:
                break
            await asyncio.sleep(0.02)
    finally:
        stop.set()
        await asyncio.wait_for(listener, 10)
        await store.close()

    assert [(report.trigger, report.status) for report in reports] == [("kafka", "completed")]
