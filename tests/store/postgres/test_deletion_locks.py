"""A PostgreSQL deletion holds the locks of every blueprint relating to what it deletes:
a write that changes what it deletes, or adds a dependent, is made before it or after it,
and leaves no edge to or from a deleted entity."""

from __future__ import annotations

import asyncio

import orjson

from ocean.store.postgres.rules import lock_blueprints
from ocean.store.postgres.store import PostgresStore
from tests.store.postgres import BLUEPRINT, OWNER, connected, until_waiting


async def test_an_edge_added_while_a_deletion_waited_is_deleted_with_its_entity(
    postgres_url: str,
) -> None:
    store = await PostgresStore.open(postgres_url)
    await store.create_blueprints([BLUEPRINT])
    entities = [{"identifier": name, "blueprint": "svc"} for name in ("b", "c")]
    entities.append({"identifier": "a", "blueprint": "svc", "relations": {"uses": ["b"]}})
    await store.upsert_entities(entities, owner=OWNER, merge=True)
    writer = await connected(postgres_url)
    writing = writer.transaction()
    await writing.start()
    await lock_blueprints(writer, ["svc"])  # as a write takes it
    body = orjson.loads(await writer.fetchval("SELECT body FROM entities WHERE identifier = 'a'"))
    body["relations"] = {"uses": ["c"]}
    await writer.execute(
        "UPDATE entities SET body = $1 WHERE identifier = 'a'", orjson.dumps(body).decode()
    )
    await writer.execute(
        "DELETE FROM relations WHERE identifier = 'a'; "
        "INSERT INTO relations(target_blueprint, target, blueprint, identifier, relation) "
        "VALUES ('svc', 'c', 'svc', 'a', 'uses')"
    )

    deletion = asyncio.create_task(store.delete_entities([("svc", "a")]))
    await asyncio.sleep(0.3)
    waited = not deletion.done()
    await writing.commit()
    deleted = (await deletion).deleted
    edges = await writer.fetch("SELECT identifier, target FROM relations ORDER BY 1, 2")
    await writer.close()
    await store.close()

    assert waited and deleted == [("svc", "a")]
    assert [tuple(edge) for edge in edges] == []


async def test_deletions_at_once_read_the_rules_on_their_own_connections(
    postgres_url: str,
) -> None:
    """More deletions at once than the pool has connections, before the store has read its
    rules: each reads them in its own transaction rather than waiting for the pool."""
    other = await PostgresStore.open(postgres_url)
    await other.create_blueprints([BLUEPRINT])
    names = [f"e{n}" for n in range(6)]
    entities = [{"identifier": name, "blueprint": "svc"} for name in names]
    await other.upsert_entities(entities, owner=OWNER, merge=True)
    await other.close()
    store = await PostgresStore.open(postgres_url)

    deletions = [store.delete_entities([("svc", name)]) for name in names]
    results = await asyncio.wait_for(asyncio.gather(*deletions), timeout=30)
    await store.close()

    assert sorted(key for result in results for key in result.deleted) == [
        ("svc", name) for name in names
    ]


async def test_a_dependent_written_while_a_deletion_runs_is_not_left_relating_to_nothing(
    postgres_url: str,
) -> None:
    """The deletion of b is held at b's row (another session locks it) after it has found
    what it deletes; a write of a relating to b meanwhile waits for it, then finds b gone
    and makes it again as a placeholder, so no edge points at a deleted entity."""
    store = await PostgresStore.open(postgres_url)
    await store.create_blueprints([BLUEPRINT])
    await store.upsert_entities([{"identifier": "b", "blueprint": "svc"}], owner=OWNER, merge=True)
    holder = await connected(postgres_url)
    holding = holder.transaction()
    await holding.start()
    await holder.execute("SELECT 1 FROM entities WHERE identifier = 'b' FOR UPDATE")

    deletion = asyncio.create_task(store.delete_entities([("svc", "b")]))
    await until_waiting(holder, 1)
    dependent = {"identifier": "a", "blueprint": "svc", "relations": {"uses": ["b"]}}
    writing = asyncio.create_task(store.upsert_entities([dependent], owner=OWNER, merge=True))
    waiting = asyncio.create_task(until_waiting(holder, 2))
    await asyncio.wait([writing, waiting], return_when=asyncio.FIRST_COMPLETED)
    written_first = writing.done()
    waiting.cancel()
    await holding.rollback()
    deleted = (await deletion).deleted
    await writing
    dangling = await holder.fetch(
        "SELECT r.identifier, r.target FROM relations r WHERE NOT EXISTS (SELECT 1 FROM "
        "entities e WHERE e.blueprint = r.target_blueprint AND e.identifier = r.target)"
    )
    edges = await holder.fetch("SELECT identifier, target FROM relations")
    await holder.close()
    await store.close()

    assert not written_first and deleted == [("svc", "b")]
    assert dangling == [] and [tuple(edge) for edge in edges] == [("a", "b")]
