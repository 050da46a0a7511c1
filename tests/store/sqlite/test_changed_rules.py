"""Two connections on one embedded catalog (a resync's, and the catalog server's): a
blueprint one of them changes is what the other's next write or deletion checks and
moves edges by, however its entities were prepared."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from ocean.store.base import Owner
from ocean.store.browse import Browse
from ocean.store.paging import browse
from ocean.store.sqlite.store import SQLiteStore
from ocean.types import Entity
from tests.store import relating_to

OWNER = Owner("github", "gh-1", "1.0.0")
TEAM = {"identifier": "team", "title": "Team", "schema": {"properties": {}}, "relations": {}}
SERVICE = {
    "identifier": "svc",
    "title": "Service",
    "schema": {"properties": {"n": {"type": "string"}}},
    "relations": {"owner": {"target": "team", "many": False}},
}

TEAMS = [("team", "t1"), ("team", "t2")]


@pytest.fixture(params=["thread", "process"])
async def stores(
    request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[tuple[SQLiteStore, SQLiteStore]]:
    """A resync's store (on a thread, or in its own process as ``ocean sail`` opens it)
    and another on the same file."""
    path = tmp_path / "catalog.db"
    one = await SQLiteStore.open(path, own_process=request.param == "process")
    other = await SQLiteStore.open(path)
    await one.create_blueprints([TEAM, SERVICE])
    teams: list[Entity] = [{"identifier": t, "blueprint": "team", "title": t} for t in ("t1", "t2")]
    await one.upsert_entities(teams, owner=OWNER, merge=True)
    await one.list_blueprints()  # as a resync does first: its pages are prepared by these
    yield one, other
    await one.close()
    await other.close()


async def _write(store: SQLiteStore, entities: list[Entity], prepared_by: str) -> list[str]:
    """Write as a resync does: prepared by the store as mapped, or by the catalog."""
    prepared = store.prepare_writes(entities) if prepared_by == "store" else None
    outcomes = await store.upsert_prepared(entities, prepared, owner=OWNER, merge=False)
    return [outcome.status for outcome in outcomes]


@pytest.mark.parametrize("prepared_by", ["store", "catalog"])
@pytest.mark.parametrize("then", ["update", "delete"])
async def test_a_relation_renamed_by_another_connection_moves_the_edges_the_next_write_changes(
    stores: tuple[SQLiteStore, SQLiteStore], then: str, prepared_by: str
) -> None:
    one, other = stores
    entity: Entity = {"identifier": "a", "blueprint": "svc", "relations": {"owner": "t1"}}
    await _write(one, [entity], prepared_by)  # one has read the rules
    renamed = {"relations": {"lead": {"target": "team", "many": False}}}
    await other.update_blueprint("svc", renamed)  # "owner" is gone: "a" relates to nothing

    if then == "update":
        moved: Entity = {"identifier": "a", "blueprint": "svc", "relations": {"lead": "t2"}}
        assert await _write(one, [moved], prepared_by) == ["updated"]
        expected: dict[str, set[str]] = {"t1": set(), "t2": {"a"}}
    else:
        await one.delete_entities([("svc", "a")])
        expected = {"t1": set(), "t2": set()}

    assert await relating_to(one, TEAMS) == expected
    assert await relating_to(other, TEAMS) == expected


@pytest.mark.parametrize("prepared_by", ["store", "catalog"])
async def test_a_property_type_changed_by_another_connection_is_checked_by_the_next_write(
    stores: tuple[SQLiteStore, SQLiteStore], prepared_by: str
) -> None:
    one, other = stores
    first: Entity = {"identifier": "a", "blueprint": "svc", "properties": {"n": "one"}}
    assert await _write(one, [first], prepared_by) == ["created"]  # one has read the rules
    typed = {"schema": {"properties": {"n": {"type": "number"}}}}
    await other.update_blueprint("svc", typed)

    statuses = await _write(
        one, [{"identifier": "b", "blueprint": "svc", "properties": {"n": "one"}}], prepared_by
    )

    assert statuses == ["failed"]
    assert await other.get_entities("svc", ["b"]) == {}


async def test_a_write_by_rules_read_before_its_blueprint_was_deleted_stores_nothing(
    stores: tuple[SQLiteStore, SQLiteStore],
) -> None:
    one, other = stores
    lone = {"identifier": "lone", "title": "Lone", "schema": {"properties": {}}, "relations": {}}
    await one.create_blueprints([lone])
    await one.list_blueprints()
    await _write(one, [{"identifier": "x", "blueprint": "lone"}], "store")
    await one.delete_entities([("lone", "x")])
    await other.delete_blueprint("lone")

    statuses = await _write(one, [{"identifier": "y", "blueprint": "lone"}], "store")

    assert statuses == ["failed"]
    assert [entity async for entity in other.iter_entities("lone")] == []


async def test_a_browse_follows_relations_as_another_connection_renamed_them(
    stores: tuple[SQLiteStore, SQLiteStore],
) -> None:
    one, other = stores
    await _write(
        one, [{"identifier": "a", "blueprint": "svc", "relations": {"owner": "t1"}}], "store"
    )
    related = {"operator": "relatedTo", "blueprint": "svc", "value": "a", "direction": "upstream"}
    wanted = Browse("team", query={"combinator": "and", "rules": [related]})
    before = await browse(one, wanted)  # one follows "owner"
    await other.update_blueprint("svc", {"relations": {"lead": {"target": "team", "many": False}}})

    after = await browse(one, wanted)

    assert [entity["identifier"] for entity in before.entities] == ["t1"]
    assert after.entities == []
