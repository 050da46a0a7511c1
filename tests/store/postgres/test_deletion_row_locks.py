"""A PostgreSQL deletion reads its entities' relations with their rows locked: an update
of one committed while the deletion waited for it leaves no edge behind."""

from __future__ import annotations

import asyncio

import orjson

from ocean.store.postgres.store import PostgresStore
from tests.store.postgres import BLUEPRINT, OWNER, connected


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
    await writer.execute("SELECT pg_advisory_xact_lock(hashtext('svc'))")  # as a write takes it
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
