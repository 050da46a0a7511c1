"""Tests of what only the PostgreSQL catalog does: an owner and a blueprint relating to itself."""

import asyncio

import asyncpg

from ocean.store.base import Owner

OWNER = Owner("github", "gh-1", "1.0.0")
BLUEPRINT = {
    "identifier": "svc",
    "title": "Service",
    "schema": {"properties": {}},
    "relations": {"uses": {"target": "svc", "many": True}},
}


OF_THIS_DATABASE = "pid IN (SELECT pid FROM pg_stat_activity WHERE datname = current_database())"
"""A condition on ``pid`` in ``pg_locks`` (whose rows are the whole server's, a row's wait
naming no database): a session of this database, not another's (a pytest-xdist worker's)."""


async def connected(postgres_url: str) -> asyncpg.Connection:
    """Another session on the catalog's schema (the caller closes it)."""
    schema = postgres_url.rsplit("schema=", 1)[1]
    return await asyncpg.connect(
        postgres_url.split("?")[0], server_settings={"search_path": schema}
    )


async def until_waiting(db: asyncpg.Connection, sessions: int = 1) -> None:
    """Until ``sessions`` sessions of the database wait for a lock (an advisory lock, or a
    row another transaction wrote), asking on ``db``."""
    query = f"SELECT count(DISTINCT pid) FROM pg_locks WHERE NOT granted AND {OF_THIS_DATABASE}"
    async with asyncio.timeout(10):
        while await db.fetchval(query) < sessions:
            await asyncio.sleep(0.01)
