"""A live event's catalog write survives a catalog outage (made again, not buried), and a
retried ``handle_event``'s data is as old as the attempt that fetched it."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest

from ocean.live.apply import Changes, LiveWriter
from ocean.live.process import LiveEvents, accept, process
from ocean.live.queue import QueuedEvent
from ocean.load.freshness import Freshness
from ocean.mapping import parse_mapping
from ocean.sail import prepare
from ocean.store.base import Owner
from ocean.store.port.http import PortHTTP
from ocean.store.port.store import PortAPIStore
from ocean.store.postgres.store import PostgresStore
from ocean.store.sqlite.store import SQLiteStore
from tests.conftest import BLUEPRINTS, MAIN_PY, Workspace
from tests.live.harness import ACCEPTING
from tests.store.port.fake_port import FakePort
from tests.store.postgres import connected, until_waiting

_X = {"blueprint": "service", "identifier": "x", "title": "X"}


def _name(postgres_url: str) -> str:
    """The application name of the catalog's sessions: its schema's, so that cutting them
    cuts no other test's (another pytest-xdist worker's)."""
    return "ocean-outage-" + postgres_url.rsplit("schema=", 1)[1]


@pytest.fixture
async def outage_store(postgres_url: str) -> AsyncIterator[PostgresStore]:
    """A PostgreSQL catalog whose sessions are named, so that the test can cut them."""
    store = await PostgresStore.open(f"{postgres_url}&application_name={_name(postgres_url)}")
    await store.create_blueprints(BLUEPRINTS)
    try:
        yield store
    finally:
        await store.close()


async def _cut_mid_write(postgres_url: str, start: Callable[[], Awaitable[list[str]]]) -> list[str]:
    """Hold the write on a lock, terminate the catalog's sessions (a server restart, as its
    clients see it) while it waits, and let it go on."""
    db = await connected(postgres_url)
    try:
        async with db.transaction():
            await db.execute("LOCK TABLE entities IN ACCESS EXCLUSIVE MODE")
            write = asyncio.create_task(start())
            await until_waiting(db)
            assert not write.done()  # held on the lock (once cut, it may end at once)
            cut = await db.fetchval(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE application_name = $1", _name(postgres_url),
            )  # fmt: skip
            assert cut >= 1
    finally:
        await db.close()
    return await write


def _writer(store: PostgresStore, patience: float) -> LiveWriter:
    mapping = parse_mapping({"resources": [], "enableMergeEntity": True})
    return LiveWriter(store=store, owner=Owner("svc", "my-svc"), mapping=mapping,
                      freshness=Freshness(), patience=patience, retry_max=0.2)  # fmt: skip


@pytest.mark.parametrize(("patience", "written"), [(10.0, True), (0.0, False)])
async def test_a_write_the_catalog_dropped_is_made_again_within_the_patience(
    outage_store: PostgresStore, postgres_url: str, patience: float, written: bool
) -> None:
    writer = _writer(outage_store, patience)
    assert await writer.write(Changes([{**_X, "identifier": "before"}], [], 1.0)) == []

    errors = await _cut_mid_write(postgres_url, lambda: writer.write(Changes([_X], [], 2.0)))

    assert (errors == []) is written
    if not written:
        assert "the catalog write failed" in errors[0]
    assert ("x" in await outage_store.get_entities("service", ["x"])) is written


PROCESSOR = """
class FailsOnce(Accepting):
    initial_retry_delay_seconds = 0.3
    attempts = 0

    async def handle_event(self, payload, resource_config):
        FailsOnce.attempts += 1
        if FailsOnce.attempts == 1:
            raise RuntimeError("the API timed out")
        return WebhookEventRawResults(updated_raw_results=[payload])

ocean.add_webhook_processor("/webhook", FailsOnce)
"""


async def test_a_retried_events_data_is_as_old_as_the_attempt_that_fetched_it(
    workspace: Workspace,
) -> None:
    """A resync's page fetched between the failed attempt and the retry must not win over
    what the retry fetched: the retry's data is newer."""
    (workspace.folder / "main.py").write_text(MAIN_PY + ACCEPTING + PROCESSOR)
    sail = prepare(workspace.folder, environ=workspace.environ, overrides={})
    store = await SQLiteStore.open(workspace.catalog)
    try:
        await store.create_blueprints(BLUEPRINTS)
        live = LiveEvents(sail.folder.integration, sail.folder.mapping, sail.resources, store,
                          sail.owner)  # fmt: skip
        payload = {"id": "svc-1", "name": "From the retry"}
        accepted = await accept(live, "/webhook", json.dumps(payload).encode(), {})
        assert accepted is not None
        applying = asyncio.create_task(
            process(live, QueuedEvent("1", "/webhook", accepted.payload, {}, None, 0.0))
        )
        await asyncio.sleep(0.1)  # the first attempt failed; the retry waits 0.3 s
        async with live.freshness.lock:  # a resync's page, fetched now, writes svc-1
            live.freshness.claim([{"blueprint": "service", "identifier": "svc-1"}], Freshness.now())

        assert await applying is None
        stored = await store.get_entities("service", ["svc-1"])
    finally:
        await store.close()

    assert stored["svc-1"]["title"] == "From the retry"


class _RefusesBad:
    """The real catalog, whose writes fail (not for being unavailable) when they hold the
    entity ``bad``: a value it cannot take."""

    def __init__(self, store: PostgresStore) -> None:
        self._store = store

    async def upsert_prepared(
        self, entities: list[dict[str, Any]], *args: Any, **options: Any
    ) -> Any:
        if any(entity["identifier"] == "bad" for entity in entities):
            raise ValueError("a value the catalog cannot store")
        return await self._store.upsert_prepared(entities, *args, **options)  # type: ignore[arg-type]

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)


async def test_an_event_the_catalog_cannot_take_fails_alone_not_the_events_grouped_with_it(
    outage_store: PostgresStore,
) -> None:
    writer = _writer(outage_store, 10.0)
    writer.store = _RefusesBad(outage_store)  # type: ignore[assignment]
    bad = {**_X, "identifier": "bad"}

    newer_x = {**_X, "title": "X from the bad event"}

    good_errors, bad_errors = await asyncio.gather(
        writer.write(Changes([_X], [], 1.0)), writer.write(Changes([bad, newer_x], [], 2.0))
    )

    assert good_errors == [] and "a value the catalog cannot store" in bad_errors[0]
    stored = await outage_store.get_entities("service", ["x", "bad"])
    assert stored.keys() == {"x"}
    assert stored["x"]["title"] == "X"  # the failed event's newer claim on x was taken back


@pytest.mark.parametrize(("patience", "written"), [(10.0, True), (0.0, False)])
async def test_a_write_the_port_api_could_not_take_now_is_made_again_within_the_patience(
    patience: float, written: bool
) -> None:
    """Port answered 503 past its client's own retries: a live event waits and writes
    again, rather than failing (and being buried) after a few seconds; register_raw (no
    patience) says which entity failed, as before."""
    port = FakePort()
    port.failures["POST /blueprints/service/entities/bulk"] = [(503, {})] * 3
    http = PortHTTP("https://port.test", "id", "secret", user_agent="port-ocean/test",
                    transport=port.transport(), attempts=2, base_delay=0.001)  # fmt: skip
    store = PortAPIStore(http)
    mapping = parse_mapping({"resources": [], "enableMergeEntity": True})
    writer = LiveWriter(store=store, owner=Owner("svc", "my-svc"), mapping=mapping,
                        freshness=Freshness(), patience=patience, retry_max=0.05)  # fmt: skip
    try:
        errors = await writer.write(Changes([_X], [], 1.0))
    finally:
        await store.close()

    assert (errors == []) is written
    assert (("service", "x") in port.entities) is written
    if not written:
        assert "entity 'x'" in errors[0] and "503" in errors[0]


async def test_a_group_port_took_in_part_keeps_the_claims_of_what_it_wrote() -> None:
    """Port wrote the services and not the team: an older write of the service must still
    lose to this event's, though the event failed."""
    port = FakePort()
    port.failures["POST /blueprints/team/entities/bulk"] = [(503, {})] * 10
    http = PortHTTP("https://port.test", "id", "secret", user_agent="port-ocean/test",
                    transport=port.transport(), attempts=1, base_delay=0.001)  # fmt: skip
    store, freshness = PortAPIStore(http), Freshness()
    mapping = parse_mapping({"resources": [], "enableMergeEntity": True})
    writer = LiveWriter(store=store, owner=Owner("svc", "my-svc"), mapping=mapping,
                        freshness=freshness, patience=0.01, retry_max=0.05)  # fmt: skip
    team = {"blueprint": "team", "identifier": "core", "title": "Core"}
    try:
        errors = await writer.write(Changes([_X, team], [], 5.0))
    finally:
        await store.close()

    assert errors and ("service", "x") in port.entities
    assert freshness.recorded([("service", "x"), ("team", "core")]) == {
        ("service", "x"): 5.0,
        ("team", "core"): None,
    }
