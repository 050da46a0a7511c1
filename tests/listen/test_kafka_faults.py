"""The KAFKA listener's faults, against a stand-in consumer (:mod:`tests.listen.fake_kafka`):
foreign messages, resyncs standing by or losing their lease."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

import pytest

import ocean.listen.kafka as kafka
from ocean.job import SilentObserver
from ocean.monitor.report import ResyncReport
from ocean.sail import Sail, prepare
from ocean.store.base import Store
from ocean.store.lease import LeaseHolder
from ocean.store.open import open_store
from tests.conftest import TEAMS, Workspace, services
from tests.listen.fake_kafka import FakeConsumer, resync_request
from tests.store.postgres import connected

ANOTHER = LeaseHolder(id="another-process", host="elsewhere", pid=4242)


@dataclass
class Listening:
    sail: Sail
    store: Store
    consumer: FakeConsumer
    task: asyncio.Task[None]
    reports: list[ResyncReport] = field(default_factory=list)

    async def until(self, done: object, timeout: float = 10) -> None:
        async with asyncio.timeout(timeout):
            while not done():  # type: ignore[operator]
                await asyncio.sleep(0.02)

    def committed(self) -> int:
        return max((max(c.values()) for c in self.consumer.commits), default=-1)


@asynccontextmanager
async def listening(
    workspace: Workspace, monkeypatch: pytest.MonkeyPatch, catalog: str = "", **settings: str
) -> AsyncIterator[Listening]:
    monkeypatch.setattr(kafka, "AIOKafkaConsumer", FakeConsumer)
    monkeypatch.setattr(FakeConsumer, "made", [])
    environ = (
        workspace.environ
        | {
            "OCEAN__EVENT_LISTENER__TYPE": "KAFKA",
            "OCEAN__EVENT_LISTENER__ORG_ID": "org",
            "OCEAN__EVENT_LISTENER__KAFKA_SECURITY_ENABLED": "false",
            "OCEAN__EVENT_LISTENER__CONSUMER_POLL_TIMEOUT": "0.05",
            "OCEAN__EVENT_LISTENER__RESYNC_ON_START": "false",
        }
        | settings
    )
    sail = prepare(workspace.folder, environ=environ, overrides={})
    store = await open_store(catalog or str(workspace.catalog))
    target, options = await kafka.connection(sail.settings.event_listener, sail.owner, store)
    reports: list[ResyncReport] = []
    stop = asyncio.Event()
    task = asyncio.create_task(
        kafka.consume(sail, store, SilentObserver(), stop=stop, target=target,
                      settings=options, on_report=reports.append)
    )  # fmt: skip
    try:
        while not FakeConsumer.made:
            await asyncio.sleep(0.01)
        yield Listening(sail, store, FakeConsumer.made[-1], task, reports)
    finally:
        stop.set()
        await asyncio.wait_for(task, 10)
        await store.close()


@pytest.mark.parametrize(
    "foreign",
    [
        b'{"diff": "not an object"}',
        b'{"diff": {"after": {"identifier": "ID", "updatedAt": "t2", "resyncState": "t1"}}}',
        b'{"diff": {"after": {"identifier": "ID", "updatedAt": "t2"}}, '
        b'"changelogDestination": "KAFKA"}',
        b"[" * 100_000,
    ],
)
async def test_a_foreign_message_of_any_shape_is_skipped_and_the_listener_goes_on(
    workspace: Workspace, monkeypatch: pytest.MonkeyPatch, foreign: bytes
) -> None:
    workspace.set_data(services=[services(1)], teams=TEAMS)
    async with listening(workspace, monkeypatch) as running:
        me = running.sail.owner.identifier.encode()
        running.consumer.queue.put_nowait(foreign.replace(b"ID", me))
        running.consumer.queue.put_nowait(resync_request(running.sail.owner.identifier))
        await running.until(lambda: running.reports and running.committed() == 2)
        assert not running.task.done()
    assert [report.trigger for report in running.reports] == ["kafka"]


async def test_a_refused_resync_s_message_is_committed_only_once_its_retry_has_run(
    workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Committed while standing by, the request was lost with the process: the partition's
    next owner (a replica already running) would never see it."""
    workspace.set_data(services=[services(1)], teams=TEAMS)
    async with listening(workspace, monkeypatch, OCEAN__RESYNC_LEASE_SECONDS="1") as running:
        me = running.sail.owner.identifier
        await running.store.acquire_lease(me, ANOTHER, 30)  # another replica's resync runs
        running.consumer.queue.put_nowait(resync_request(me))
        await asyncio.sleep(1.2)  # refused, standing by, retried a few times
        assert running.committed() == -1, "committed while its resync was standing by"
        await running.store.release_lease(me, ANOTHER, completed=False)  # (it failed)
        await running.until(lambda: running.reports and running.committed() == 1)
    assert [(r.trigger, r.status) for r in running.reports] == [("kafka", "completed")]


async def test_a_kafka_resync_that_lost_its_lease_is_tried_again_until_one_completes(
    workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As a POLLING one is (it was dropped, with its message's offset committed)."""
    workspace.set_data(services=[services(1, start=n) for n in range(8)], teams=TEAMS, slow=0.25)
    async with listening(workspace, monkeypatch, OCEAN__RESYNC_LEASE_SECONDS="1") as running:
        me, store = running.sail.owner.identifier, running.store
        await asyncio.sleep(0.2)
        running.consumer.queue.put_nowait(resync_request(me))
        while not await store.list_runs():
            await asyncio.sleep(0.02)
        # it stalled past its lease; another process took it over and died
        await store.release_lease(me, running.sail.lease_holder, completed=False)
        await store.acquire_lease(me, ANOTHER, 1)
        await running.until(lambda: running.reports)
    assert [(r.trigger, r.status) for r in running.reports] == [("kafka", "completed")]


async def test_a_resync_replaced_while_the_catalog_fails_to_record_it_leaves_the_listener_on(
    workspace: Workspace, monkeypatch: pytest.MonkeyPatch, postgres_url: str
) -> None:
    """A newer request cancels the running resync, which records itself aborted: should the
    catalog fail that write (an outage; here a lock held past the sessions' lock_timeout),
    the error is logged and the newer resync runs. (It ended the listener, and the sail.)"""
    workspace.set_data(services=[services(1, start=n) for n in range(40)], teams=TEAMS, slow=0.1)
    url = f"{postgres_url}&lock_timeout=200ms"
    writer = await connected(postgres_url)
    try:
        async with listening(
            workspace, monkeypatch, url, OCEAN__RESYNC_LEASE_SECONDS="3"
        ) as running:
            me = running.sail.owner.identifier
            running.consumer.queue.put_nowait(resync_request(me))
            while not await running.store.list_runs():
                await asyncio.sleep(0.02)
            async with writer.transaction():  # the run's row, held past the lock_timeout
                await writer.execute("SELECT * FROM runs FOR UPDATE")
                running.consumer.queue.put_nowait(resync_request(me))
                await asyncio.sleep(0.6)
            workspace.set_data(services=[services(1)], teams=TEAMS)
            await running.until(lambda: running.reports or running.task.done(), timeout=30)
            assert not running.task.done(), running.task.exception()
    finally:
        await writer.close()
    assert [(r.trigger, r.status) for r in running.reports] == [("kafka", "completed")]


async def test_stop_ends_the_listener_while_a_request_waits_for_a_finishing_resync(
    workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A request that arrived while the resync's ``on_resync_complete`` hook runs waits for
    it; a stop meanwhile cancels it as polling's does, rather than waiting on the hook."""
    mark = workspace.add_finishing_hook(60)
    workspace.set_data(services=[services(1)], teams=TEAMS)
    monkeypatch.setattr(FakeConsumer, "made", [])
    monkeypatch.setattr(kafka, "AIOKafkaConsumer", FakeConsumer)
    environ = workspace.environ | {
        "OCEAN__EVENT_LISTENER__TYPE": "KAFKA", "OCEAN__EVENT_LISTENER__ORG_ID": "org",
        "OCEAN__EVENT_LISTENER__KAFKA_SECURITY_ENABLED": "false",
        "OCEAN__EVENT_LISTENER__CONSUMER_POLL_TIMEOUT": "0.05",
        "OCEAN__EVENT_LISTENER__RESYNC_ON_START": "false",
    }  # fmt: skip
    sail = prepare(workspace.folder, environ=environ, overrides={})
    store = await open_store(str(workspace.catalog))
    target, options = await kafka.connection(sail.settings.event_listener, sail.owner, store)
    stop = asyncio.Event()
    task = asyncio.create_task(kafka.consume(sail, store, SilentObserver(), stop=stop,
                                             target=target, settings=options))  # fmt: skip
    try:
        while not FakeConsumer.made:
            await asyncio.sleep(0.01)
        consumer = FakeConsumer.made[-1]
        consumer.queue.put_nowait(resync_request(sail.owner.identifier))
        async with asyncio.timeout(20):
            while not mark.exists():
                await asyncio.sleep(0.02)
        consumer.queue.put_nowait(resync_request(sail.owner.identifier))  # hook sleeping
        await asyncio.sleep(0.3)
        stop.set()
        await asyncio.wait_for(asyncio.shield(task), 5)  # it waited the hook's 60 s
    finally:
        task.cancel()
        with contextlib.suppress(BaseException):
            await task
        await store.close()
