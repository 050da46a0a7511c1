"""Integration records in the PostgreSQL catalog (the catalog server's integration routes),
as :mod:`ocean.store.sqlite.integrations`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import asyncpg
import orjson

from ocean.store.writes import dumps

_SAVE = (
    "INSERT INTO integrations(identifier, body) VALUES ($1, $2) "
    "ON CONFLICT(identifier) DO UPDATE SET body = excluded.body"
)
_LOCKED = "SELECT body FROM integrations WHERE identifier = $1 FOR UPDATE"
_CREATED = (
    "INSERT INTO integrations(identifier, body) VALUES ($1, $2) "
    "ON CONFLICT(identifier) DO NOTHING RETURNING true"
)


async def save(pool: asyncpg.Pool, identifier: str, record: dict[str, Any]) -> None:
    await pool.execute(_SAVE, identifier, dumps(record))


async def get(pool: asyncpg.Pool, identifier: str) -> dict[str, Any] | None:
    body = await pool.fetchval("SELECT body FROM integrations WHERE identifier = $1", identifier)
    return None if body is None else dict(orjson.loads(body))


async def update(
    pool: asyncpg.Pool,
    identifier: str,
    change: Callable[[dict[str, Any] | None], dict[str, Any] | None],
) -> dict[str, Any] | None:
    """The record ``change`` makes of the stored one (None: none), kept in the same
    transaction: the stored row is locked (``FOR UPDATE``) from the read to the write. A
    missing one is inserted only if still missing; when another transaction inserted it
    meanwhile, ``change`` runs again on that one."""
    async with pool.acquire() as db, db.transaction():
        while True:
            body = await db.fetchval(_LOCKED, identifier)
            record = change(None if body is None else dict(orjson.loads(body)))
            if record is None:
                return None
            if body is not None:
                await db.execute(_SAVE, identifier, dumps(record))
                return record
            if await db.fetchval(_CREATED, identifier, dumps(record)):
                return record


async def delete(pool: asyncpg.Pool, identifier: str) -> bool:
    """Delete the record and the cursors of ``identifier``: whether it had a record."""
    async with pool.acquire() as db, db.transaction():
        await db.execute("DELETE FROM cursors WHERE integration = $1", identifier)
        gone = await db.fetchval(
            "DELETE FROM integrations WHERE identifier = $1 RETURNING true", identifier
        )
        return bool(gone)
