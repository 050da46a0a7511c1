"""A write of new rows that went beside another and must be made again (another process
changed one of its blueprints) is still made before the writes called after it: a later
write of one of its keys does not join the one beside it meanwhile and store first, to be
overwritten by the older write's copy."""

from __future__ import annotations

import asyncio

from ocean.store.postgres.store import PostgresStore
from tests.store.postgres import BLUEPRINT, OWNER, connected, until_waiting
from tests.store.postgres.test_write_turns import _holding

EXTRA = {"identifier": "extra", "title": "Extra", "schema": {"properties": {}}, "relations": {}}
OTHER = {"identifier": "other", "title": "Other", "schema": {"properties": {}}, "relations": {}}


async def test_a_write_made_again_after_its_rules_changed_is_not_overtaken_by_a_later_write_of_its_key(
    postgres_url: str,
) -> None:
    store, another = await PostgresStore.open(postgres_url), await PostgresStore.open(postgres_url)
    db = await connected(postgres_url)
    try:
        await store.create_blueprints([BLUEPRINT, EXTRA, OTHER])
        for first in (
            [{"identifier": "s0", "blueprint": "svc"}, {"identifier": "e0", "blueprint": "extra"}],
            [{"identifier": "o0", "blueprint": "other"}],
            [{"identifier": "s1", "blueprint": "svc"}],
        ):  # each found nothing stored: the next write of these blueprints does not ask
            await store.upsert_entities(first, owner=OWNER, merge=True)
        await asyncio.gather(*(store.count_entities() for _ in range(6)))  # connections open
        await another.update_blueprint("extra", {"title": "Extra 2"})  # store does not know

        one = [{"identifier": "k", "blueprint": "svc", "title": "K1"}]
        one.append({"identifier": "e1", "blueprint": "extra"})
        two = [{"identifier": "o1", "blueprint": "other"}]
        three = [{"identifier": "k", "blueprint": "svc", "title": "K3"}]
        async with _holding("other"):  # the second, beside the first, waits for its lock
            writes = [
                asyncio.create_task(store.upsert_entities(sent, owner=OWNER, merge=True))
                for sent in (one, two, three)
            ]
            await until_waiting(db)
            await asyncio.wait_for(writes[0], 10)  # made again, while the second waits
            await asyncio.sleep(0.1)  # (the third is made meanwhile if it may)
        outcomes = [[o.status for o in await write] for write in writes]

        stored = (await store.get_entities("svc", ["k"]))["k"]
        assert stored["title"] == "K3"  # the last called is stored
        assert outcomes == [["created", "created"], ["created"], ["updated"]]
    finally:
        await db.close()
        await store.close()
        await another.close()
