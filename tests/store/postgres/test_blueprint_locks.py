"""PostgreSQL blueprint locks: taken in the order of their keys, so writes whose names
share a key cannot deadlock; a deletion's reach over the blueprints relating to it; and a
write rolled back by the server to break a deadlock on rows is made again."""

from __future__ import annotations

import asyncio

import asyncpg
import pytest

from ocean.store.entity_rules import EntityRules
from ocean.store.postgres.rules import BLUEPRINT_LOCKS, lock_blueprints, relating_to
from ocean.store.postgres.store import PostgresStore
from tests.conftest import POSTGRES_URL
from tests.store.postgres import OWNER, connected, until_waiting

SHARED = ("bp164913", "bp179152")
"""Two names whose ``hashtext`` is the same; ``bp170000`` sorts between them."""


async def _locked(names: list[str]) -> None:
    db = await asyncpg.connect(POSTGRES_URL)
    try:
        async with db.transaction():
            await lock_blueprints(db, names)
    finally:
        await db.close()


async def test_writes_whose_names_share_a_lock_key_take_their_locks_in_one_order() -> None:
    """In name order the first write would hold the shared key and wait for bp170000's
    while the second held bp170000's and waited for the shared one: a deadlock."""
    holder = await asyncpg.connect(POSTGRES_URL)
    assert len({await holder.fetchval("SELECT hashtext($1)", name) for name in SHARED}) == 1
    await holder.execute("SELECT pg_advisory_lock($1, hashtext($2))", BLUEPRINT_LOCKS, SHARED[0])
    first = asyncio.create_task(_locked([SHARED[0], "bp170000"]))
    await until_waiting(holder, 1)
    second = asyncio.create_task(_locked(["bp170000", SHARED[1]]))
    await until_waiting(holder, 2)
    await holder.execute("SELECT pg_advisory_unlock_all()")

    await asyncio.wait_for(asyncio.gather(first, second), timeout=10)
    await holder.close()


def _rules(relations: dict[str, list[str]]) -> dict[str, EntityRules]:
    return {
        name: EntityRules({"identifier": name, "relations": {t: {"target": t} for t in targets}})
        for name, targets in relations.items()
    }


GRAPH = {"team": [], "person": ["team"], "laptop": ["person"], "repo": ["team"], "org": []}


@pytest.mark.parametrize(
    ("names", "through_others", "expected"),
    [
        ({"team"}, True, {"team", "person", "laptop", "repo"}),
        ({"team"}, False, {"team", "person", "repo"}),
        ({"person"}, True, {"person", "laptop"}),
        ({"laptop", "org"}, True, {"laptop", "org"}),
        ({"unknown"}, True, {"unknown"}),
    ],
)
def test_a_deletion_reaches_the_blueprints_relating_to_its_own_directly_or_through_others(
    names: set[str], through_others: bool, expected: set[str]
) -> None:
    assert relating_to(_rules(GRAPH), names, through_others=through_others) == expected


async def test_a_write_the_server_rolled_back_to_break_a_deadlock_is_made_again(
    postgres_url: str,
) -> None:
    """A write of svc relating to teams t1 and t2 makes them as placeholders, in key order,
    under svc's lock, while a write of teams (team's lock) has copied t2 and copies t1:
    each waits for the other until the server rolls one back."""
    team = {"identifier": "team", "title": "Team", "schema": {"properties": {}}, "relations": {}}
    svc = {
        "identifier": "svc", "title": "Service", "schema": {"properties": {}},
        "relations": {"owners": {"target": "team", "many": True}},
    }  # fmt: skip
    store = await PostgresStore.open(postgres_url)
    await store.create_blueprints([team, svc])
    teams = await connected(postgres_url)
    writing_teams = teams.transaction()
    await writing_teams.start()
    await lock_blueprints(teams, ["team"])
    await teams.execute(_TEAM_ROW, "t2")
    sent = {"identifier": "a", "blueprint": "svc", "relations": {"owners": ["t1", "t2"]}}
    writing = asyncio.create_task(store.upsert_entities([sent], owner=OWNER, merge=True))
    await until_waiting(teams)
    try:
        await teams.execute(_TEAM_ROW, "t1")
        await writing_teams.commit()
    except asyncpg.DeadlockDetectedError:
        await writing_teams.rollback()
    outcomes = await writing
    edges = await teams.fetch("SELECT target FROM relations ORDER BY target")
    made = await teams.fetch("SELECT identifier FROM entities WHERE blueprint = 'team'")
    await teams.close()
    await store.close()

    assert [outcome.status for outcome in outcomes] == ["created"]
    assert [edge[0] for edge in edges] == ["t1", "t2"]
    assert sorted(row[0] for row in made) == ["t1", "t2"]


_TEAM_ROW = (
    "INSERT INTO entities(blueprint, identifier, body, created_at, updated_at, version) "
    "VALUES ('team', $1, '{}', 'x', 'x', 1)"
)
