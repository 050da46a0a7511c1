"""The PostgreSQL catalog copies new entities in (COPY, no conflict checks) and writes the
whole batch again as upserts when a row exists after all."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from ocean.store.postgres.store import PostgresStore
from tests.store.postgres import BLUEPRINT, OWNER, connected


@pytest.fixture
async def store(postgres_url: str) -> AsyncIterator[PostgresStore]:
    opened = await PostgresStore.open(postgres_url)
    await opened.create_blueprints([BLUEPRINT])
    yield opened
    await opened.close()


async def test_a_target_named_twice_is_one_edge(store: PostgresStore) -> None:
    entity = {"identifier": "a", "blueprint": "svc", "relations": {"uses": ["b", "b"]}}

    outcomes = await store.upsert_entities([entity], owner=OWNER, merge=True)

    assert [o.status for o in outcomes] == ["created"]
    dependents = await store.dependents([("svc", "b")], after="")
    assert dependents.of == {("svc", "b"): {("svc", "a")}}


async def test_a_row_made_while_the_batch_was_planned_is_updated(
    store: PostgresStore, postgres_url: str
) -> None:
    """Another transaction inserts the entity (as a placeholder would, without the
    blueprint's lock): the copy waits for it, fails, and the batch is upserted instead."""
    other = await connected(postgres_url)
    try:
        racing = other.transaction()
        await racing.start()
        await other.execute(
            "INSERT INTO entities(blueprint, identifier, body, created_at, updated_at) "
            "VALUES ('svc', 'a', '{\"title\": \"a\"}', 'x', 'x')"
        )
        write = asyncio.create_task(
            store.upsert_entities(
                [{"identifier": "a", "blueprint": "svc", "title": "A"}], owner=OWNER, merge=True
            )
        )
        await asyncio.sleep(0.5)  # the copy now waits on the uncommitted row
        await racing.commit()
        outcomes = await write
    finally:
        await other.close()

    assert [o.status for o in outcomes] == ["updated"]
    assert (await store.get_entities("svc", ["a"]))["a"]["title"] == "A"
    assert await store.owned_keys(OWNER) == {("svc", "a")}
