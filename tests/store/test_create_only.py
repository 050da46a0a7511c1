"""A create-only write (:class:`~ocean.store.base.CreatesOnly`) decides in its own
transaction whether each entity exists: one that does fails (``conflict``) and is left as it
is, and of two catalog handles (two servers over one catalog) creating one key at once,
exactly one creates it. An update-only write (:class:`~ocean.store.base.UpdatesOnly`) fails
an entity that is not stored (``not_found``) rather than making it."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest

from ocean.store.base import CreatesOnly, Owner, Store, UpdatesOnly
from ocean.store.postgres.store import PostgresStore
from ocean.store.sqlite.store import SQLiteStore
from tests.conftest import POSTGRES_URL

OWNER = Owner("github", "gh-1", "1.0.0")
SVC = {"identifier": "svc", "title": "Service", "schema": {"properties": {}}, "relations": {}}
ROUNDS = 6


async def test_an_entity_that_exists_fails_as_a_conflict_and_the_others_are_created(
    store: Store,
) -> None:
    assert isinstance(store, CreatesOnly)
    await store.create_blueprints([SVC])
    await store.upsert_entities(
        [{"identifier": "a", "blueprint": "svc", "title": "A"}], owner=OWNER, merge=False
    )

    outcomes = await store.create_entities(
        [
            {"identifier": "a", "blueprint": "svc", "title": "over"},
            {"identifier": "b", "blueprint": "svc", "title": "B"},
        ],
        owner=OWNER,
    )

    assert [(o.identifier, o.status) for o in outcomes] == [("a", "failed"), ("b", "created")]
    assert outcomes[0].error is not None and outcomes[0].error.startswith("conflict: ")
    assert "'a'" in outcomes[0].error and "upsert=true" in outcomes[0].error
    stored = await store.get_entities("svc", ["a", "b"])
    assert (stored["a"]["title"], stored["b"]["title"]) == ("A", "B")


async def test_a_key_sent_twice_is_created_by_its_first_copy_and_its_second_conflicts(
    store: Store,
) -> None:
    assert isinstance(store, CreatesOnly)
    await store.create_blueprints([SVC])

    outcomes = await store.create_entities(
        [
            {"identifier": "a", "blueprint": "svc", "title": "first"},
            {"identifier": "a", "blueprint": "svc", "title": "second"},
        ],
        owner=OWNER,
    )

    assert [o.status for o in outcomes] == ["created", "failed"]
    assert str(outcomes[1].error).startswith("conflict: ")
    assert (await store.get_entities("svc", ["a"]))["a"]["title"] == "first"


async def test_copies_of_a_stored_key_conflict_and_make_no_placeholders(store: Store) -> None:
    assert isinstance(store, CreatesOnly)
    team = {"identifier": "team", "title": "Team", "schema": {"properties": {}}}
    teamed = {**SVC, "relations": {"team": {"target": "team", "many": False}}}
    await store.create_blueprints([team, teamed])
    await store.upsert_entities([{"identifier": "a", "blueprint": "svc"}], owner=OWNER, merge=False)

    outcomes = await store.create_entities(
        [{"identifier": "a", "blueprint": "svc", "relations": {"team": name}} for name in "xy"],
        owner=OWNER,
    )

    assert [o.status for o in outcomes] == ["failed", "failed"]
    assert await store.get_entities("team", ["x", "y"]) == {}


async def test_an_update_only_write_fails_an_entity_not_stored_and_updates_the_others(
    store: Store,
) -> None:
    assert isinstance(store, UpdatesOnly)
    await store.create_blueprints([SVC])
    await store.upsert_entities([{"identifier": "a", "blueprint": "svc"}], owner=OWNER, merge=False)
    await store.upsert_entities(  # a first sync's write: the next may not ask what is stored
        [{"identifier": f"n{i}", "blueprint": "svc"} for i in range(200)], owner=OWNER, merge=False
    )

    outcomes = await store.update_entities(
        [
            {"identifier": "a", "blueprint": "svc", "title": "A"},
            {"identifier": "gone", "blueprint": "svc", "title": "G"},
        ],
        owner=OWNER,
        merge=True,
    )

    assert [(o.identifier, o.status) for o in outcomes] == [("a", "updated"), ("gone", "failed")]
    assert str(outcomes[1].error).startswith("not_found: ")
    assert (await store.get_entities("svc", ["a", "gone"])).keys() == {"a"}


@pytest.fixture(params=["sqlite", "postgresql"])
async def two_handles(
    request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[tuple[Store, Store]]:
    """Two stores over one catalog, each with its own connections (as two servers)."""
    schema = f"test_{uuid.uuid4().hex[:12]}"
    if request.param == "sqlite":
        handles: list[Store] = [await SQLiteStore.open(tmp_path / "c.db") for _ in range(2)]
    else:
        url = f"{POSTGRES_URL}?schema={schema}"
        handles = [await PostgresStore.open(url) for _ in range(2)]
    await handles[0].create_blueprints([SVC])
    yield handles[0], handles[1]
    for handle in handles:
        await handle.close()
    if request.param == "postgresql":
        connection = await asyncpg.connect(POSTGRES_URL)
        await connection.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        await connection.close()


async def test_of_two_handles_creating_one_key_at_once_exactly_one_creates_it(
    two_handles: tuple[Store, Store],
) -> None:
    for round in range(ROUNDS):
        key = f"k{round}"
        writes = [
            handle.create_entities(
                [{"identifier": key, "blueprint": "svc", "title": title}], owner=OWNER
            )  # type: ignore[attr-defined]
            for handle, title in zip(two_handles, ("first", "second"), strict=True)
        ]
        outcomes = [outcome for (outcome,) in await asyncio.gather(*writes)]

        assert sorted(o.status for o in outcomes) == ["created", "failed"], (key, outcomes)
        winner = ("first", "second")[[o.status for o in outcomes].index("created")]
        stored = await two_handles[1].get_entities("svc", [key])
        assert stored[key]["title"] == winner
