"""The PostgreSQL catalog's server credentials (:class:`~ocean.store.credentials.KeepsCredentials`)
and the datasources of entities (:class:`~ocean.store.ownership.KnowsDatasources`).
Secrets are hashed on a worker thread, never on the event loop."""

from __future__ import annotations

import asyncio
from typing import Any

import asyncpg

from ocean.store.base import now_iso
from ocean.store.credentials import (
    Credential,
    checked_role,
    new_credentials,
    new_secret,
    revoked,
    secret_hash,
    unknown,
)
from ocean.store.writes import PLACEHOLDER
from ocean.types import EntityKey

_COLUMNS = (
    "client_id, name, role, integration, secret_hash, version, created_at, revoked_at, migrated"
)
_ONE = f"SELECT {_COLUMNS} FROM credentials WHERE client_id = $1"
_DATASOURCES = (
    "SELECT k.bp, k.ident, array_remove(array_agg(w.datasource ORDER BY w.datasource), NULL) "
    "FROM unnest($1::text[], $2::text[]) AS k(bp, ident) "
    "JOIN entities e ON e.blueprint = k.bp AND e.identifier = k.ident "
    f"AND left(e.body, {len(PLACEHOLDER)}) <> '{PLACEHOLDER}' "  # anyone may write one
    "LEFT JOIN (ownership o JOIN owners w ON w.id = o.owner) "
    "ON o.blueprint = k.bp AND o.identifier = k.ident "
    "GROUP BY k.bp, k.ident"
)


async def create(
    pool: asyncpg.Pool, name: str, role: str, integration: str | None
) -> tuple[str, str]:
    role, integration = checked_role(role, integration)
    client_id, secret = new_credentials()
    hashed = await asyncio.to_thread(secret_hash, client_id, secret)
    await pool.execute(
        "INSERT INTO credentials(client_id, name, role, integration, secret_hash, version, "
        "created_at, migrated) VALUES ($1, $2, $3, $4, $5, 1, $6, false)",
        client_id,
        name,
        role,
        integration,
        hashed,
        now_iso(),
    )
    return client_id, secret


async def get(pool: asyncpg.Pool, client_id: str) -> Credential | None:
    return _credential(await pool.fetchrow(_ONE, client_id))


async def listed(pool: asyncpg.Pool) -> list[Credential]:
    rows = await pool.fetch(f"SELECT {_COLUMNS} FROM credentials ORDER BY created_at, client_id")
    return [c for c in map(_credential, rows) if c is not None]


async def revoke(pool: asyncpg.Pool, client_id: str) -> Credential:
    row = await pool.fetchrow(
        f"UPDATE credentials SET revoked_at = coalesce(revoked_at, $2) WHERE client_id = $1 "
        f"RETURNING {_COLUMNS}",
        client_id,
        now_iso(),
    )
    found = _credential(row)
    if found is None:
        raise unknown(client_id)
    return found


async def rotate(pool: asyncpg.Pool, client_id: str) -> str:
    secret = new_secret()
    hashed = await asyncio.to_thread(secret_hash, client_id, secret)
    async with pool.acquire() as db, db.transaction():
        found = _credential(await db.fetchrow(_ONE + " FOR UPDATE", client_id))
        if found is None:
            raise unknown(client_id)
        if not found.active:
            raise revoked(found)
        await db.execute(
            "UPDATE credentials SET secret_hash = $2, version = version + 1 WHERE client_id = $1",
            client_id,
            hashed,
        )
    return secret


async def datasources_of(pool: asyncpg.Pool, keys: list[EntityKey]) -> dict[EntityKey, list[str]]:
    """The datasources of those of ``keys`` that exist (an empty list: no recorded
    writer), but placeholders."""
    unique = list(dict.fromkeys(keys))
    rows = await pool.fetch(_DATASOURCES, [bp for bp, _ in unique], [ident for _, ident in unique])
    return {(str(r[0]), str(r[1])): [str(d) for d in r[2]] for r in rows}


def _credential(row: Any) -> Credential | None:
    if row is None:
        return None
    return Credential(
        client_id=str(row["client_id"]),
        name=str(row["name"]),
        role=str(row["role"]),
        integration=row["integration"],
        secret_hash=str(row["secret_hash"]),
        version=int(row["version"]),
        created_at=str(row["created_at"]),
        revoked_at=row["revoked_at"],
        migrated=bool(row["migrated"]),
    )
