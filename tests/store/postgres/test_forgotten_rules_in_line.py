"""A write waiting in line while its store forgets the blueprint rules it read (the store
created or changed a blueprint: ``ocean sail`` does at its start, while live events from
its queue are written) reads them again, rather than being prepared by none and failing
every entity with "blueprint ... does not exist" (a live event dead-lettered so, found by
killing a polling sail at random while live events and resyncs ran)."""

from __future__ import annotations

import asyncio

import asyncpg

from ocean.store.postgres.rules import BLUEPRINT_LOCKS
from ocean.store.postgres.store import PostgresStore
from tests.conftest import POSTGRES_URL
from tests.store.postgres import BLUEPRINT, OWNER, connected, until_waiting

OTHER = {"identifier": "other", "title": "Other", "schema": {"properties": {}}, "relations": {}}


async def test_a_write_in_line_when_its_store_forgets_the_rules_reads_them_again(
    postgres_url: str,
) -> None:
    store = await PostgresStore.open(postgres_url)
    db = await connected(postgres_url)
    holder = await asyncpg.connect(POSTGRES_URL)
    try:
        await store.create_blueprints([BLUEPRINT])
        stored = [{"identifier": i, "blueprint": "svc", "title": i} for i in ("a", "b")]
        await store.upsert_entities(stored, owner=OWNER, merge=True)
        await holder.execute("SELECT pg_advisory_lock($1, hashtext('svc'))", BLUEPRINT_LOCKS)
        first = asyncio.create_task(store.upsert_entities(
            [{"identifier": "a", "blueprint": "svc", "title": "A"}], owner=OWNER, merge=True
        ))  # fmt: skip
        await until_waiting(db)  # held at the blueprint's lock
        second = asyncio.create_task(store.upsert_entities(
            [{"identifier": "b", "blueprint": "svc", "title": "B"}], owner=OWNER, merge=True
        ))  # fmt: skip
        await asyncio.sleep(0.1)  # in line behind the first
        await store.create_blueprints([OTHER])  # the store forgets the rules it read
        await holder.execute("SELECT pg_advisory_unlock_all()")

        results = await asyncio.gather(first, second)
        assert [[(o.status, o.error) for o in r] for r in results] == [
            [("updated", None)],
            [("updated", None)],
        ]
    finally:
        await holder.close()
        await db.close()
        await store.close()
