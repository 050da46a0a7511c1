"""The KAFKA listener while its broker is away (a real Tansu broker, stopped mid-run)."""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections import Counter

import pytest
from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from ocean.job import SilentObserver
from ocean.listen.kafka import connection, consume
from ocean.monitor.report import ResyncReport
from ocean.sail import prepare
from ocean.store.sqlite.store import SQLiteStore
from tests.conftest import TEAMS, Workspace, services
from tests.listen.fake_kafka import resync_request
from tests.listen.kafka_broker import start_broker
from tests.loopback import free_port


def _listening(workspace: Workspace, address: str, org: str) -> dict[str, str]:
    """The workspace's settings for a KAFKA listener on ``address`` (no start resync)."""
    return workspace.environ | {
        "OCEAN__EVENT_LISTENER__TYPE": "KAFKA",
        "OCEAN__EVENT_LISTENER__BROKERS": address,
        "OCEAN__EVENT_LISTENER__ORG_ID": org,
        "OCEAN__EVENT_LISTENER__KAFKA_SECURITY_ENABLED": "false",
        "OCEAN__EVENT_LISTENER__SESSION_TIMEOUT_MS": "6000",
        "OCEAN__EVENT_LISTENER__CONSUMER_POLL_TIMEOUT": "0.1",
        "OCEAN__EVENT_LISTENER__RESYNC_ON_START": "false",
    }


async def test_with_the_broker_gone_scheduled_resyncs_run_and_a_stop_stops_the_listener(
    workspace: Workspace,
) -> None:
    """aiokafka's commit waits for the broker as long as it is away: the listener that
    awaited it after each resync stopped on nothing (SIGTERM neither) and ran no
    scheduled resync; the consumer's own stop then raised."""
    port = free_port()
    broker, address = start_broker(port), f"127.0.0.1:{port}"
    org = f"org{uuid.uuid4().hex[:8]}"
    workspace.set_data(services=[services(1, start=n) for n in range(3)], teams=TEAMS, slow=0.4)
    environ = _listening(workspace, address, org) | {
        "OCEAN__SCHEDULED_RESYNC_INTERVAL": "0.05",  # minutes: 3 s after the last
    }
    sail = prepare(workspace.folder, environ=environ, overrides={})
    store = await SQLiteStore.open(workspace.catalog)
    reports: list[ResyncReport] = []
    stop, ready = asyncio.Event(), asyncio.Event()
    try:
        admin = AIOKafkaAdminClient(bootstrap_servers=address)
        await admin.start()
        await admin.create_topics([NewTopic(f"{org}.change.log", 1, 1)])
        await admin.close()
        target, settings = await connection(sail.settings.event_listener, sail.owner, store)
        listener = asyncio.create_task(
            consume(sail, store, SilentObserver(), stop=stop, target=target, settings=settings,
                    on_report=reports.append, on_ready=ready.set)
        )  # fmt: skip
        await asyncio.wait_for(ready.wait(), 40)
        producer = AIOKafkaProducer(bootstrap_servers=address)
        await producer.start()
        await producer.send_and_wait(target.topic, resync_request(sail.owner.identifier))
        await producer.stop()
        while not await store.list_runs():  # the requested resync runs
            await asyncio.sleep(0.02)
        broker.kill()
        broker.wait()
        async with asyncio.timeout(20):  # it ends, then one is scheduled 3 s later
            while [report.trigger for report in reports] != ["kafka", "schedule"]:
                await asyncio.sleep(0.05)
        stop.set()
        done, _ = await asyncio.wait([listener], timeout=15)
        assert done, "the listener did not stop while the broker was away"
        assert listener.exception() is None
    finally:
        stop.set()
        broker.kill()
        broker.wait()
        await store.close()


async def test_with_the_broker_gone_aiokafka_s_retries_log_each_line_once_not_every_tenth_of_a_second(
    workspace: Workspace, caplog: pytest.LogCaptureFixture
) -> None:
    """aiokafka logs at ERROR at each retry while its broker is away (about 30 lines a
    second for each replica: before, 40 and more of one line in these 4 s)."""
    caplog.set_level(logging.WARNING)
    port = free_port()
    broker, address = start_broker(port), f"127.0.0.1:{port}"
    org = f"org{uuid.uuid4().hex[:8]}"
    workspace.set_data(services=[services(1)], teams=TEAMS)
    environ = _listening(workspace, address, org)
    sail = prepare(workspace.folder, environ=environ, overrides={})
    store = await SQLiteStore.open(workspace.catalog)
    stop, ready = asyncio.Event(), asyncio.Event()
    try:
        target, settings = await connection(sail.settings.event_listener, sail.owner, store)
        listener = asyncio.create_task(
            consume(sail, store, SilentObserver(), stop=stop, target=target, settings=settings,
                    on_ready=ready.set)
        )  # fmt: skip
        await asyncio.wait_for(ready.wait(), 40)
        broker.kill()
        broker.wait()
        await asyncio.sleep(4)
        stop.set()
        await asyncio.wait([listener], timeout=15)
    finally:
        stop.set()
        broker.kill()
        broker.wait()
        await store.close()
    lines = Counter(
        (record.name, str(record.msg))
        for record in caplog.records
        if record.name.startswith("aiokafka") and record.levelno >= logging.WARNING
    )
    # (none at all when the test before showed them less than a minute ago)
    assert max(lines.values(), default=0) <= 1, lines.most_common(3)
