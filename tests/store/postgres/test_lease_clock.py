"""The PostgreSQL lease is judged and stamped by the clock once its row is locked, not by when
the taking transaction began (a lease that lapsed meanwhile is free; one taken after a wait
runs from then), and a fenced deletion locks it only while it commits."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg
import pytest

from ocean.store.lease import Fence, LeaseHolder
from ocean.store.postgres import lease
from ocean.store.postgres.store import PostgresStore
from tests.store.postgres import OWNER, connected

PROBE = LeaseHolder(id="probe", host="test", pid=1)
SAIL = LeaseHolder(id="s" * 16, host="host-s", pid=2)


class _Begun:
    """A pool of one connection whose transaction has already begun: ``now()`` in it is
    fixed at that start."""

    def __init__(self, connection: asyncpg.Connection) -> None:
        self._connection = connection

    @asynccontextmanager
    async def acquire(self) -> AsyncIterator[asyncpg.Connection]:
        yield self._connection


Opened = tuple[PostgresStore, asyncpg.Connection]


@pytest.fixture
async def opened(postgres_url: str) -> AsyncIterator[Opened]:
    """The store, and another session on its schema."""
    store = await PostgresStore.open(postgres_url)
    other = await connected(postgres_url)
    yield store, other
    await other.close()
    await store.close()


async def test_a_lease_that_lapsed_after_the_taker_began_is_taken(opened: Opened) -> None:
    store, early = opened
    begun = early.transaction()
    await begun.start()
    await early.execute("SELECT now()")  # the taker's transaction starts first
    assert (await store.acquire_lease("my-integration", PROBE, 0)).held_by(PROBE)

    taken = await lease.acquire(_Begun(early), "my-integration", SAIL, 30)  # type: ignore[arg-type]

    assert taken.held_by(SAIL)
    await begun.commit()


async def test_a_lease_taken_after_waiting_for_its_row_runs_from_when_it_was_taken(
    opened: Opened,
) -> None:
    store, blocker = opened
    await store.acquire_lease("my-integration", PROBE, 0.3)
    holding = blocker.transaction()
    await holding.start()
    await blocker.execute("SELECT 1 FROM resync_leases FOR SHARE")
    taking = asyncio.create_task(store.acquire_lease("my-integration", SAIL, 30))
    await asyncio.sleep(1.0)  # the probe's lease lapses while the taker waits
    await holding.commit()
    taken = await taking

    left = await blocker.fetchval(
        "SELECT extract(epoch FROM expires_at - clock_timestamp()) FROM resync_leases"
    )
    assert taken.held_by(SAIL) and float(left) > 29


async def test_a_fenced_deletion_holds_up_its_holders_heartbeat_only_while_it_commits(
    opened: Opened,
) -> None:
    """A deletion that takes a second (a trigger sleeps) while its holder renews."""
    store, slow = opened
    await store.create_blueprints([{"identifier": "svc", "title": "S", "schema": {}}])
    await store.upsert_entities([{"identifier": "a", "blueprint": "svc"}], owner=OWNER,
                                merge=True)  # fmt: skip
    await slow.execute(
        "CREATE FUNCTION slowly() RETURNS trigger LANGUAGE plpgsql AS "
        "$$ BEGIN PERFORM pg_sleep(1); RETURN NULL; END $$; "
        "CREATE TRIGGER slow AFTER DELETE ON entities FOR EACH STATEMENT "
        "EXECUTE FUNCTION slowly()"
    )
    await store.acquire_lease("my-integration", SAIL, 30)
    fence = Fence("my-integration", SAIL)
    deleting = asyncio.create_task(
        store.delete_entities([("svc", "a")], delete_dependents=False, fence=fence)
    )
    await asyncio.sleep(0.3)

    async with asyncio.timeout(0.5):
        assert await store.renew_lease("my-integration", SAIL, 30)
    assert (await deleting).deleted == [("svc", "a")]
