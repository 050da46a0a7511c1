"""PostgreSQL blueprint locks: taken in the order of their keys, so writes whose names
share a key cannot deadlock, and a deletion's reach over the blueprints relating to it."""

from __future__ import annotations

import asyncio

import asyncpg
import pytest

from ocean.store.entity_rules import EntityRules
from ocean.store.postgres.rules import BLUEPRINT_LOCKS, lock_blueprints, relating_to
from tests.conftest import POSTGRES_URL

SHARED = ("bp164913", "bp179152")
"""Two names whose ``hashtext`` is the same; ``bp170000`` sorts between them."""


async def _waiting(db: asyncpg.Connection, sessions: int) -> None:
    query = "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"
    async with asyncio.timeout(10):
        while await db.fetchval(query) < sessions:
            await asyncio.sleep(0.01)


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
    await _waiting(holder, 1)
    second = asyncio.create_task(_locked(["bp170000", SHARED[1]]))
    await _waiting(holder, 2)
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
    ("names", "expected"),
    [
        ({"team"}, {"team", "person", "laptop", "repo"}),
        ({"person"}, {"person", "laptop"}),
        ({"laptop", "org"}, {"laptop", "org"}),
        ({"unknown"}, {"unknown"}),
    ],
)
def test_a_deletion_reaches_every_blueprint_relating_to_its_own_through_others(
    names: set[str], expected: set[str]
) -> None:
    assert relating_to(_rules(GRAPH), names) == expected
