"""A write that found its blueprint changed by another process reads the rules again and
is made again; when another write reads them again too while it waits for its turn (a
blueprint this store had not read), it is prepared by those, not failed: a resync's write
does not fail for two reads of one change."""

from __future__ import annotations

import asyncio

import asyncpg

from ocean.store.postgres.rules import BLUEPRINT_LOCKS
from ocean.store.postgres.store import PostgresStore
from tests.conftest import POSTGRES_URL
from tests.store.postgres import BLUEPRINT, OWNER, connected, until_waiting

OTHER = {"identifier": "other", "title": "Other", "schema": {"properties": {}}, "relations": {}}
TEAM = {"identifier": "team", "title": "Team", "schema": {"properties": {}}, "relations": {}}


async def test_a_write_made_again_after_its_rules_changed_is_not_failed_when_another_reads_them_again(
    postgres_url: str,
) -> None:
    store, another = await PostgresStore.open(postgres_url), await PostgresStore.open(postgres_url)
    db = await connected(postgres_url)
    holder = await asyncpg.connect(POSTGRES_URL)  # another process writing new svc rows
    changing = await asyncpg.connect(POSTGRES_URL)  # another process changing "other"
    try:
        await store.create_blueprints([BLUEPRINT, OTHER])
        for first in ("svc", "other"):  # found nothing stored: the next write does not ask
            await store.upsert_entities(
                [{"identifier": "first", "blueprint": first}], owner=OWNER, merge=True
            )
        await asyncio.gather(*(store.count_entities() for _ in range(6)))  # connections open
        await another.upsert_entities(
            [{"identifier": "x", "blueprint": "svc"}], owner=OWNER, merge=True
        )
        await another.update_blueprint("other", {"title": "Other 2"})
        await holder.execute("SELECT pg_advisory_lock_shared($1, hashtext('svc'))", BLUEPRINT_LOCKS)
        await changing.execute("SELECT pg_advisory_lock($1, hashtext('other'))", BLUEPRINT_LOCKS)

        svc = store.upsert_entities(
            [{"identifier": "x", "blueprint": "svc", "title": "X"}], owner=OWNER, merge=True
        )  # copied in, stored after all: made again asking, held by the other's lock
        first = asyncio.create_task(svc)
        other = store.upsert_entities([{"identifier": "o", "blueprint": "other"}],
                                      owner=OWNER, merge=True)  # fmt: skip
        second = asyncio.create_task(other)  # beside it, held at its lock
        await until_waiting(db, 2)  # the first made again asking, held too
        await changing.execute("SELECT pg_advisory_unlock_all()")
        await asyncio.sleep(0.2)  # the second's rules changed: read again, it waits in line
        await another.create_blueprints([TEAM])  # after the second read the rules again
        team = store.upsert_entities([{"identifier": "t", "blueprint": "team"}],
                                     owner=OWNER, merge=True)  # fmt: skip
        third = asyncio.create_task(team)  # reads every rule again
        await asyncio.sleep(0.2)
        await holder.execute("SELECT pg_advisory_unlock_all()")

        results = await asyncio.gather(first, second, third, return_exceptions=True)
        assert [[o.status for o in r] if isinstance(r, list) else r for r in results] == [
            ["updated"],
            ["created"],
            ["created"],
        ]
    finally:
        await holder.close()
        await changing.close()
        await db.close()
        await store.close()
        await another.close()
