"""A PostgreSQL store's writes are made in call order, each checked by the rules it was
prepared by, while another write waits, is cancelled or reads the rules again. A write is
held at its blueprint's lock by a session that holds that lock, as another process's
blueprint change would hold it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import asyncpg
import pytest

from ocean.store.postgres.rules import BLUEPRINT_LOCKS
from ocean.store.postgres.store import PostgresStore
from tests.conftest import POSTGRES_URL
from tests.store.postgres import BLUEPRINT, OWNER, connected, until_waiting

TEAM = {"identifier": "team", "title": "Team", "schema": {"properties": {}}, "relations": {}}


@asynccontextmanager
async def _holding(blueprint: str) -> AsyncIterator[None]:
    """The blueprint's write lock held by another session until the block ends."""
    db = await asyncpg.connect(POSTGRES_URL)
    try:
        await db.execute("SELECT pg_advisory_lock($1, hashtext($2))", BLUEPRINT_LOCKS, blueprint)
        yield
    finally:
        await db.close()


async def _until_a_write_waits_for_a_lock() -> None:
    db = await asyncpg.connect(POSTGRES_URL)
    try:
        query = (
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted "
            "AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
        )
        while not await db.fetchval(query):
            await asyncio.sleep(0.01)
    finally:
        await db.close()


async def test_a_write_checks_the_rules_it_was_prepared_by_when_others_read_them_again(
    postgres_url: str,
) -> None:
    one, other = await PostgresStore.open(postgres_url), await PostgresStore.open(postgres_url)
    try:
        await one.create_blueprints([BLUEPRINT])
        await one.upsert_entities(
            [{"identifier": "b", "blueprint": "svc"}], owner=OWNER, merge=True
        )
        renamed = {"relations": {"owner": {"target": "svc", "many": False}}}
        await other.update_blueprint("svc", renamed)  # "uses" is gone; one does not know yet
        await other.create_blueprints([TEAM])
        sent = {"identifier": "a", "blueprint": "svc", "relations": {"uses": ["b"]}}
        async with _holding("svc"):
            first = asyncio.create_task(one.upsert_entities([sent], owner=OWNER, merge=True))
            await _until_a_write_waits_for_a_lock()
            team = {"identifier": "t", "blueprint": "team"}  # one reads every rule again
            second = asyncio.create_task(one.upsert_entities([team], owner=OWNER, merge=True))
            await asyncio.sleep(0.05)

        (outcome,) = await first
        assert outcome.status == "created"  # "uses", gone, dropped as the new rules have it
        assert [o.status for o in await second] == ["created"]
        found = await one.dependents([("svc", "b")], after="9999")
        assert not found.of.get(("svc", "b"))  # no edge under the relation that is gone
        assert "uses" not in ((await one.get_entities("svc", ["a"]))["a"].get("relations") or {})
    finally:
        await one.close()
        await other.close()


async def test_a_write_cancelled_in_line_does_not_let_the_next_overtake_the_one_before(
    postgres_url: str,
) -> None:
    store = await PostgresStore.open(postgres_url)
    try:
        await store.create_blueprints([BLUEPRINT, TEAM])
        entity = {"identifier": "a", "blueprint": "svc"}
        async with _holding("svc"):
            first = asyncio.create_task(store.upsert_entities([entity], owner=OWNER, merge=True))
            await _until_a_write_waits_for_a_lock()
            waiting = asyncio.create_task(store.upsert_entities([entity], owner=OWNER, merge=True))
            await asyncio.sleep(0.05)
            waiting.cancel()
            team = {"identifier": "t", "blueprint": "team"}
            last = asyncio.create_task(store.upsert_entities([team], owner=OWNER, merge=True))
            await asyncio.sleep(0.2)
            assert not last.done()  # behind the first, which still waits for its lock

        assert [o.status for o in await first] == ["created"]
        assert [o.status for o in await last] == ["created"]
    finally:
        await store.close()


_A = {"identifier": "a", "title": "A1"}
_TO_X = {"identifier": "c", "relations": {"uses": ["x"]}}


async def _svc_lock_waits(db: asyncpg.Connection) -> int:
    """Sessions of this database waiting for the blueprint ``svc``'s write lock."""
    return int(
        await db.fetchval(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted "
            "AND classid = $1 AND objid = (hashtext('svc')::bigint & 4294967295)::oid "
            "AND database = (SELECT oid FROM pg_database WHERE datname = current_database())",
            BLUEPRINT_LOCKS,
        )
    )


@pytest.mark.parametrize(
    ("first", "second", "beside", "stored"),
    [
        pytest.param(_A, {"identifier": "c"}, True, {"a": "A1", "c": None}, id="apart"),
        pytest.param(_A, {"identifier": "a", "title": "A2"}, False, {"a": "A2"}, id="same-key"),
        pytest.param(
            _A, {"identifier": "c", "relations": {"uses": ["a"]}}, False, {"a": "A1", "c": None},
            id="relating-to-what-the-first-makes",
        ),
        pytest.param(
            {"identifier": "a", "relations": {"uses": ["x"]}, "create_missing": True}, _TO_X,
            False, {"x": "x", "c": None}, id="relating-to-a-placeholder-the-first-makes",
        ),
    ],
)  # fmt: skip
async def test_a_write_of_new_rows_goes_beside_the_one_before_only_when_they_share_no_key(
    postgres_url: str,
    first: dict[str, Any],
    second: dict[str, Any],
    beside: bool,
    stored: dict[str, str | None],
) -> None:
    store = await PostgresStore.open(postgres_url)
    db = await connected(postgres_url)
    try:
        await store.create_blueprints([BLUEPRINT])
        b = {"identifier": "b", "blueprint": "svc"}
        await store.upsert_entities([b], owner=OWNER, merge=True)  # none stored: now unasked
        writes = []
        async with _holding("svc"):  # as a blueprint change in another process would
            for sent in (first, second):
                entity = {k: v for k, v in sent.items() if k != "create_missing"}
                missing = sent.get("create_missing", False)
                call = store.upsert_entities(
                    [entity | {"blueprint": "svc"}], owner=OWNER, merge=True,
                    create_missing_related=missing,
                )  # fmt: skip
                writes.append(asyncio.create_task(call))
                await until_waiting(db)
            await asyncio.sleep(0.2)  # the second joins the first, or waits for its turn
            running = len(store._batches.line.running)
            waiting = await _svc_lock_waits(db)

        assert (running, waiting) == ((2, 2) if beside else (1, 1))
        outcomes = [await write for write in writes]
        assert [[o.ok for o in each] for each in outcomes] == [[True], [True]]  # as in order
        found = await store.get_entities("svc", list(stored))
        assert {key: entity.get("title") for key, entity in found.items()} == stored
        if "relations" in second:
            assert found["c"]["relations"] == second["relations"]
        assert not store._batches.line.running
    finally:
        await db.close()
        await store.close()


async def test_a_write_of_new_rows_that_must_make_a_placeholder_it_did_not_claim_is_made_again(
    postgres_url: str,
) -> None:
    store, other = await PostgresStore.open(postgres_url), await PostgresStore.open(postgres_url)
    try:
        await store.create_blueprints([BLUEPRINT])
        t = {"identifier": "t", "blueprint": "svc"}
        await store.upsert_entities([t], owner=OWNER, merge=True)  # t known to exist
        await other.delete_entities([("svc", "t")])  # gone: the store learns it at its write
        a = {"identifier": "a", "blueprint": "svc", "relations": {"uses": ["t"]}}

        (outcome,) = await store.upsert_entities([a], owner=OWNER, merge=True)

        assert outcome.status == "created"  # made again in line, its placeholder with it
        assert (await store.get_entities("svc", ["t"]))["t"]["title"] == "t"
        assert not store._batches.line.running
    finally:
        await store.close()
        await other.close()
