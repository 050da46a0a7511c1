"""Two processes on one PostgreSQL catalog: a blueprint one of them changes is what the
other's next write or deletion checks and moves edges by (its cached rules are read
again under the blueprint's lock)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from ocean.store.postgres.store import PostgresStore
from tests.store import relating_to
from tests.store.postgres import OWNER, connected

TEAM = {"identifier": "team", "title": "Team", "schema": {"properties": {}}, "relations": {}}
SERVICE = {
    "identifier": "svc",
    "title": "Service",
    "schema": {"properties": {}},
    "relations": {"owner": {"target": "team", "many": False}},
}

TEAMS = [("team", "t1"), ("team", "t2")]


@pytest.fixture
async def stores(postgres_url: str) -> AsyncIterator[tuple[PostgresStore, PostgresStore]]:
    one, other = await PostgresStore.open(postgres_url), await PostgresStore.open(postgres_url)
    await one.create_blueprints([TEAM, SERVICE])
    teams = [{"identifier": t, "blueprint": "team", "title": t} for t in ("t1", "t2")]
    await one.upsert_entities(teams, owner=OWNER, merge=True)
    yield one, other
    await one.close()
    await other.close()


@pytest.mark.parametrize("then", ["update", "delete"])
@pytest.mark.parametrize("stamped", ["later", "in the same millisecond"])
async def test_a_relation_renamed_by_another_process_moves_the_edges_the_next_write_changes(
    stores: tuple[PostgresStore, PostgresStore], then: str, stamped: str, postgres_url: str
) -> None:
    one, other = stores
    entity = {"identifier": "a", "blueprint": "svc", "relations": {"owner": "t1"}}
    await one.upsert_entities([entity], owner=OWNER, merge=False)  # one reads the rules
    read_at = {bp["identifier"]: bp["updatedAt"] for bp in await other.list_blueprints()}["svc"]
    renamed = {"relations": {"lead": {"target": "team", "many": False}}}
    await other.update_blueprint("svc", renamed)  # "owner" is gone: "a" relates to nothing
    if stamped == "in the same millisecond":  # its updatedAt as one read it
        db = await connected(postgres_url)
        await db.execute("UPDATE blueprints SET updated_at = $1 WHERE identifier = 'svc'", read_at)
        await db.close()

    if then == "update":
        moved = {"identifier": "a", "blueprint": "svc", "relations": {"lead": "t2"}}
        await one.upsert_entities([moved], owner=OWNER, merge=False)
        expected: dict[str, set[str]] = {"t1": set(), "t2": {"a"}}
    else:
        await one.delete_entities([("svc", "a")])
        expected = {"t1": set(), "t2": set()}

    assert await relating_to(one, TEAMS) == expected


async def test_a_write_by_rules_read_before_its_blueprint_was_deleted_stores_nothing(
    postgres_url: str,
) -> None:
    lone = {"identifier": "lone", "title": "Lone", "schema": {"properties": {}}, "relations": {}}
    one, other = await PostgresStore.open(postgres_url), await PostgresStore.open(postgres_url)
    await one.create_blueprints([lone])
    await one.upsert_entities([{"identifier": "x", "blueprint": "lone"}], owner=OWNER, merge=True)
    await one.delete_entities([("lone", "x")])  # one has read lone's rules
    await other.delete_blueprint("lone")

    outcomes = await one.upsert_entities(
        [{"identifier": "y", "blueprint": "lone"}], owner=OWNER, merge=True
    )
    stored = [entity async for entity in other.iter_entities("lone")]
    await one.close()
    await other.close()

    assert stored == [] and [outcome.status for outcome in outcomes] == ["failed"]
    assert "lone" in str(outcomes[0].error)
