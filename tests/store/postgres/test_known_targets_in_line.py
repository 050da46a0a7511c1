"""A write asks which of its relation targets exist by what its store knew when the write
was called: a target the store knew exists but another process deleted since is asked
about again, even when the write before it (under way when it was called) has since
learnt the catalog's new count of deleting statements."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from ocean.store.postgres.store import PostgresStore
from tests.store.postgres import OWNER

TEAM = {"identifier": "team", "title": "Team", "schema": {"properties": {}}, "relations": {}}
PERSON = {
    "identifier": "person",
    "title": "Person",
    "schema": {"properties": {}},
    "relations": {"team": {"target": "team", "many": False}},
}


@pytest.fixture
async def stores(postgres_url: str) -> AsyncIterator[tuple[PostgresStore, PostgresStore]]:
    """The first store knows team ``t`` exists (it wrote it) and has stored person ``p0``;
    the other has since deleted ``t``."""
    first, other = await PostgresStore.open(postgres_url), await PostgresStore.open(postgres_url)
    await first.create_blueprints([TEAM, PERSON])
    await first.upsert_entities([{"identifier": "t", "blueprint": "team"}], owner=OWNER, merge=True)
    p0 = {"identifier": "p0", "blueprint": "person"}
    await first.upsert_entities([p0], owner=OWNER, merge=True)
    await first.upsert_entities([p0 | {"title": "P0"}], owner=OWNER, merge=True)  # asks again
    assert (await other.delete_entities([("team", "t")])).deleted == [("team", "t")]
    await asyncio.gather(*(first.count_entities() for _ in range(4)))  # connections open
    yield first, other
    await first.close()
    await other.close()


@pytest.mark.parametrize("create_missing", [False, True], ids=["fails", "placeholder"])
async def test_a_target_deleted_by_another_process_is_asked_about_by_a_write_called_while_the_one_before_ran(
    stores: tuple[PostgresStore, PostgresStore], create_missing: bool
) -> None:
    first, _ = stores
    before = [{"identifier": "p0", "blueprint": "person", "title": "P0 again"}]
    sent = [{"identifier": "p1", "blueprint": "person", "relations": {"team": "t"}}]

    _, (outcome,) = await asyncio.gather(
        first.upsert_entities(before, owner=OWNER, merge=True),
        first.upsert_entities(sent, owner=OWNER, merge=True, create_missing_related=create_missing),
    )

    teams = await first.get_entities("team", ["t"])
    if create_missing:
        assert outcome.status == "created"
        assert "t" in teams  # made again as a placeholder: the edge leads somewhere
    else:
        assert outcome.status == "failed" and "not_found" in str(outcome.error)
        assert not await first.get_entities("person", ["p1"])
        assert not teams
