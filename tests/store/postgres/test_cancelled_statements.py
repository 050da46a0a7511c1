"""A statement the server cancels (``statement_timeout``, ``pg_cancel_backend`` by an
administrator or a pooler) fails as an outage, to retry (503 on the catalog server), not
as a raw driver error (a 500)."""

from __future__ import annotations

import asyncio

import pytest

from ocean.errors import CatalogUnavailableError
from ocean.store.postgres.store import PostgresStore
from tests.conftest import POSTGRES_URL
from tests.store.postgres import OF_THIS_DATABASE, connected, until_waiting


async def test_a_statement_the_server_cancels_fails_as_an_outage(postgres_url: str) -> None:
    store = await PostgresStore.open(postgres_url)
    holder = await connected(postgres_url)
    admin = await connected(POSTGRES_URL + "?schema=public")
    try:
        transaction = holder.transaction()
        await transaction.start()
        await holder.execute("LOCK TABLE entities IN ACCESS EXCLUSIVE MODE")
        counting = asyncio.create_task(store.count_entities())  # waits for the lock
        await until_waiting(admin)
        await admin.execute(
            "SELECT pg_cancel_backend(pid) FROM pg_locks WHERE NOT granted AND pid <> $1 "
            f"AND {OF_THIS_DATABASE}",
            holder.get_server_pid(),
        )
        with pytest.raises(CatalogUnavailableError, match="cancel"):
            await counting
        await transaction.rollback()
        assert await store.count_entities() == {}  # the next call goes on
    finally:
        await holder.close()
        await admin.close()
        await store.close()
