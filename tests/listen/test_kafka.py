"""The KAFKA listener against a real Kafka-protocol broker (Tansu)."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from ocean.job import SilentObserver
from ocean.listen.kafka import connection, consume, subscription, wants_resync
from ocean.monitor.report import ResyncReport
from ocean.sail import prepare
from ocean.store.base import Owner, RunRecord
from ocean.store.sqlite.store import SQLiteStore
from tests.conftest import TEAMS, Workspace, services
from tests.listen.kafka_broker import kafka_broker

__all__ = ["kafka_broker"]

ME = "my-testing-integration"


def _change(identifier: str, updated: str, resync_state: str, destination: str = "KAFKA") -> bytes:
    after = {
        "identifier": identifier,
        "updatedAt": updated,
        "resyncState": {"updatedAt": resync_state},
    }
    return json.dumps({"action": "UPDATE", "resourceType": "integration",
                       "changelogDestination": {"type": destination},
                       "diff": {"before": {}, "after": after}}).encode()  # fmt: skip


def _resync(identifier: str, action: str = "RESYNC") -> bytes:
    return json.dumps({"action": action, "context": {"integrationId": identifier}}).encode()


@pytest.mark.parametrize(
    ("topic", "value", "wanted", "why"),
    [
        ("org.change.log", _resync(ME), True, "manual resync"),
        ("org.change.log", _resync("someone-else"), False, "another integration"),
        ("org.change.log", _change(ME, "t2", "t1"), True, "configuration changed"),
        ("org.change.log", _change(ME, "t1", "t1"), False, "only the resync state"),
        ("org.change.log", _change(ME, "t2", "t1", "WEBHOOK"), False, "does not go to Kafka"),
        ("org.change.log", _change("someone-else", "t2", "t1"), False, "not about this"),
        ("org.change.log", b'{"action": "DELETE", "diff": {"after": null}}', False, "not about"),
        ("org.integration.resync.requests", _resync(ME, "ANY"), True, "resync request"),
        ("org.integration.resync.requests", _resync("x"), False, "another integration"),
        ("org.change.log", b"{not json", False, "not JSON"),
        ("org.change.log", b"[1]", False, "not a JSON object"),
        ("org.change.log", None, False, "not JSON"),
    ],
)
def test_the_message_filter_follows_the_original(
    topic: str, value: bytes | None, wanted: bool, why: str
) -> None:
    decision, reason = wants_resync(topic, value, ME)
    assert decision is wanted and why in reason


@pytest.mark.parametrize(
    ("flags", "topic"),
    [
        ([], "org1.change.log"),
        (
            ["OCEAN_KAFKA_INTEGRATION_RESYNC_REQUESTS_TOPIC_ENABLED"],
            "org1.integration.resync.requests",
        ),
    ],
)
def test_topic_follows_the_feature_flag_and_the_group_names_the_integration(
    flags: list[str], topic: str
) -> None:
    target = subscription("org1", flags, Owner("github", "gh-1"))
    assert (target.topic, target.group) == (topic, "org1.github.gh-1")


async def test_without_an_organization_id_the_listener_says_what_to_set(
    workspace: Workspace,
) -> None:
    sail = prepare(
        workspace.folder,
        environ=workspace.environ | {"OCEAN__EVENT_LISTENER__TYPE": "KAFKA"},
        overrides={},
    )
    store = await SQLiteStore.open(workspace.catalog)
    try:
        with pytest.raises(Exception, match="OCEAN__EVENT_LISTENER__ORG_ID"):
            await connection(sail.settings.event_listener, sail.owner, store)
    finally:
        await store.close()


@dataclass
class Consuming:
    topic: str
    group: str
    broker: str
    reports: list[ResyncReport] = field(default_factory=list)
    ready: asyncio.Event = field(default_factory=asyncio.Event)
    runs: list[RunRecord] = field(default_factory=list)

    async def send(self, *values: bytes) -> None:
        producer = AIOKafkaProducer(bootstrap_servers=self.broker)
        await producer.start()
        try:
            for value in values:
                await producer.send_and_wait(self.topic, value)
        finally:
            await producer.stop()

    async def reports_seen(self, count: int, timeout: float = 30) -> None:
        async with asyncio.timeout(timeout):
            while len(self.reports) < count:
                await asyncio.sleep(0.02)

    async def committed(self) -> int:
        """The group's committed offset (-1: none), read without joining the group."""
        reader = AIOKafkaConsumer(bootstrap_servers=self.broker, group_id=self.group,
                                  enable_auto_commit=False)  # fmt: skip
        await reader.start()
        try:
            partition = TopicPartition(self.topic, 0)
            reader.assign([partition])
            found = await reader.committed(partition)
        finally:
            await reader.stop()
        return -1 if found is None else int(found)


@asynccontextmanager
async def consuming(
    workspace: Workspace, broker: str, org: str = "", **settings: str
) -> AsyncIterator[Consuming]:
    """A listener of ``org`` (a new one by default: its topic created) until the block ends."""
    new, org = not org, org or f"org{uuid.uuid4().hex[:8]}"
    env = (
        workspace.environ
        | {
            "OCEAN__EVENT_LISTENER__TYPE": "KAFKA",
            "OCEAN__EVENT_LISTENER__BROKERS": broker,
            "OCEAN__EVENT_LISTENER__ORG_ID": org,
            "OCEAN__EVENT_LISTENER__KAFKA_SECURITY_ENABLED": "false",
            "OCEAN__EVENT_LISTENER__SESSION_TIMEOUT_MS": "6000",
            "OCEAN__EVENT_LISTENER__CONSUMER_POLL_TIMEOUT": "0.1",
            "OCEAN__INTEGRATION__IDENTIFIER": ME,
        }
        | settings
    )
    sail = prepare(workspace.folder, environ=env, overrides={})
    if new:
        admin = AIOKafkaAdminClient(bootstrap_servers=broker)
        await admin.start()
        await admin.create_topics([NewTopic(f"{org}.change.log", 1, 1)])
        await admin.close()
    store = await SQLiteStore.open(workspace.catalog)
    target, listener = await connection(sail.settings.event_listener, sail.owner, store)
    running = Consuming(target.topic, target.group, broker)
    stop = asyncio.Event()
    task = asyncio.create_task(consume(sail, store, SilentObserver(), stop=stop, target=target,
                                       settings=listener, on_report=running.reports.append,
                                       on_ready=running.ready.set))  # fmt: skip
    try:
        async with asyncio.timeout(40):
            await running.ready.wait()
        yield running
    finally:
        stop.set()
        await asyncio.wait_for(task, timeout=20)
        running.runs = await store.list_runs()
        await store.close()


async def test_resyncs_on_requests_and_skips_and_commits_what_is_not_for_it(
    workspace: Workspace, kafka_broker: str
) -> None:
    workspace.set_data(services=[services(3)], teams=TEAMS)
    async with consuming(workspace, kafka_broker) as running:
        await running.reports_seen(1)  # the resync at start
        await running.send(_resync("someone-else"), b"{not json", _resync(ME))
        await running.reports_seen(2)
        async with asyncio.timeout(10):
            while await running.committed() != 3:
                await asyncio.sleep(0.05)
    assert [r.trigger for r in running.reports] == ["start", "kafka"]
    assert all(r.status == "completed" for r in running.reports)


async def test_a_newer_request_aborts_the_running_resync_which_deletes_nothing_and_commits_later(
    workspace: Workspace, kafka_broker: str
) -> None:
    workspace.environ["OCEAN__INTEGRATION__IDENTIFIER"] = ME
    workspace.set_data(services=[services(2)], teams=TEAMS)
    await workspace.sail()
    workspace.set_data(services=[services(1), services(1, start=5)], teams=TEAMS, slow=0.6)
    async with consuming(
        workspace, kafka_broker, OCEAN__EVENT_LISTENER__RESYNC_ON_START="false"
    ) as running:
        await running.send(_resync(ME))
        await asyncio.sleep(0.3)  # the first resync is fetching
        # (0: where the partition starts, anchored; the request not handled yet)
        assert await running.committed() in (-1, 0), "committed before its resync ended"
        await running.send(_resync(ME))
        await running.reports_seen(1)
        async with asyncio.timeout(10):
            while await running.committed() != 2:
                await asyncio.sleep(0.05)
    statuses = [run.status for run in running.runs]
    assert statuses[-2:] == ["aborted", "completed"]
    assert set(await workspace.entities("service")) == {"svc-0", "svc-5"}


async def test_the_listener_frees_what_each_resync_left_in_cycles(
    workspace: Workspace, kafka_broker: str, paced: list[int]
) -> None:
    workspace.set_data(services=[services(2)], teams=TEAMS)
    async with consuming(workspace, kafka_broker) as running:
        await running.reports_seen(1)  # the resync at start
        async with asyncio.timeout(10):
            while 2 not in paced:  # the report is made as the resync is settled
                await asyncio.sleep(0.02)

    assert 2 in paced  # a small resync makes no full pass of its own


async def test_a_newer_request_lets_a_resync_finishing_its_hooks_complete_then_runs(
    workspace: Workspace, kafka_broker: str
) -> None:
    """A request arriving while the running resync is past its deletions (its
    ``on_resync_complete`` hook under way) waits for it, as with polling: the first is
    recorded completed, with its report, and the second runs after it (it was recorded
    aborted, its report lost)."""
    mark = workspace.add_finishing_hook(1.5)
    workspace.set_data(services=[services(2)], teams=TEAMS)
    async with consuming(
        workspace, kafka_broker, OCEAN__EVENT_LISTENER__RESYNC_ON_START="false"
    ) as running:
        await running.send(_resync(ME))
        async with asyncio.timeout(20):
            while not mark.exists():
                await asyncio.sleep(0.02)
        await running.send(_resync(ME))  # the first one's hook still sleeping
        await running.reports_seen(2)

    assert [(r.trigger, r.status) for r in running.reports] == [("kafka", "completed")] * 2
    assert [run.status for run in running.runs][-2:] == ["completed", "completed"]
