"""The PostgreSQL lease is judged by the clock once its row is locked, not by when the taking
transaction began (a lease that lapsed meanwhile is free)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg

from ocean.store.base import LeaseHolder
from ocean.store.postgres import lease
from ocean.store.postgres.store import PostgresStore

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


async def test_a_lease_that_lapsed_after_the_taker_began_is_taken(postgres_url: str) -> None:
    store = await PostgresStore.open(postgres_url)
    schema = postgres_url.rsplit("schema=", 1)[1]
    early = await asyncpg.connect(
        postgres_url.split("?")[0], server_settings={"search_path": schema}
    )
    try:
        begun = early.transaction()
        await begun.start()
        await early.execute("SELECT now()")  # the taker's transaction starts first
        assert (await store.acquire_lease("my-integration", PROBE, 0)).held_by(PROBE)

        taken = await lease.acquire(_Begun(early), "my-integration", SAIL, 30)  # type: ignore[arg-type]

        assert taken.held_by(SAIL)
        await begun.commit()
    finally:
        await early.close()
        await store.close()
