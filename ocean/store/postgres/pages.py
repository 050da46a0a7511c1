"""A PostgreSQL catalog's page records (:class:`~ocean.store.base.RemembersPages` and
:class:`~ocean.store.page_records.ClaimsPages`): as on SQLite, a record holds while its
entities are at the recorded versions, checked by the server."""

from __future__ import annotations

import asyncpg

from ocean.store.base import Owner, PageRecord
from ocean.store.page_records import ClaimedPage, PageShelf, claimed, decoded, encoded

_HOLDS = (
    "NOT EXISTS (SELECT 1 FROM jsonb_array_elements(p.record::jsonb -> 'entries') k "
    "WHERE NOT EXISTS (SELECT 1 FROM entities e WHERE e.blueprint = k ->> 0 "
    "AND e.identifier = k ->> 1 AND e.version = (k ->> 2)::bigint))"
)
# One statement: the records that hold, their keys marked as produced by the run ($5)
# and their digests as used ($6); the marks are written whether or not they are read.
_CLAIM = (
    "WITH hit AS (SELECT p.digest, p.record::jsonb AS r FROM resync_pages p "
    "WHERE p.owner = $1 AND p.slot = $2 AND p.fingerprint = $3 AND p.digest = ANY($4::bytea[]) "
    f"AND {_HOLDS}), "
    "keys AS (INSERT INTO resync_produced(run, blueprint, identifier) "
    "SELECT DISTINCT $5, k ->> 0, k ->> 1 FROM hit, jsonb_array_elements(hit.r -> 'entries') k "
    "ON CONFLICT DO NOTHING), "
    "used AS (INSERT INTO resync_produced(run, blueprint, identifier) "
    "SELECT $6, $2, upper(encode(digest, 'hex')) FROM hit ON CONFLICT DO NOTHING) "
    "SELECT digest, jsonb_build_object('n', jsonb_array_length(r -> 'entries'), "
    "'blueprints', coalesce(r -> 'blueprints', (SELECT jsonb_agg(DISTINCT k ->> 0) "
    "FROM jsonb_array_elements(r -> 'entries') k)), 'counts', r -> 'counts', "
    "'misconfigured', r -> 'misconfigured')::text FROM hit"
)
_KEEP = (
    "WITH kept AS (INSERT INTO resync_pages(owner, slot, digest, fingerprint, record) "
    "SELECT $1, $2, d, $3, r FROM unnest($4::bytea[], $5::text[]) AS k(d, r) "
    "ON CONFLICT (owner, slot, digest) DO UPDATE SET fingerprint = excluded.fingerprint, "
    "record = excluded.record RETURNING digest) "
    "INSERT INTO resync_produced(run, blueprint, identifier) "
    "SELECT $6, $2, upper(encode(digest, 'hex')) FROM kept ON CONFLICT DO NOTHING"
)
_UNUSED = (
    "DELETE FROM resync_pages p WHERE p.owner = $1 AND p.slot = $2 AND NOT EXISTS ("
    "SELECT 1 FROM resync_produced m WHERE m.run = $3 AND m.blueprint = $2 "
    "AND m.identifier = upper(encode(p.digest, 'hex')))"
)


async def recall(pool: asyncpg.Pool, owner: Owner, slot: str, fingerprint: str) -> list[PageRecord]:
    rows = await pool.fetch(
        "SELECT p.digest, p.record FROM resync_pages p "
        f"WHERE p.owner = $1 AND p.slot = $2 AND p.fingerprint = $3 AND {_HOLDS}",
        owner.key,
        slot,
        fingerprint,
    )
    return [decoded(*row) for row in rows]


async def remember(
    pool: asyncpg.Pool, owner: Owner, slot: str, fingerprint: str, records: list[PageRecord]
) -> None:
    async with pool.acquire() as db, db.transaction():
        await db.execute("DELETE FROM resync_pages WHERE owner = $1 AND slot = $2", owner.key, slot)
        await db.executemany(
            "INSERT INTO resync_pages(owner, slot, digest, fingerprint, record) "
            "VALUES ($1, $2, $3, $4, $5)",
            [(owner.key, slot, r.digest, fingerprint, encoded(r)) for r in records],
        )


async def holds(pool: asyncpg.Pool, shelf: PageShelf) -> bool:
    found = await pool.fetchval(
        "SELECT EXISTS (SELECT 1 FROM resync_pages WHERE owner = $1 AND slot = $2 "
        "AND fingerprint = $3)",
        shelf.owner.key,
        shelf.slot,
        shelf.fingerprint,
    )
    return bool(found)


async def claim(pool: asyncpg.Pool, shelf: PageShelf, digests: list[bytes]) -> list[ClaimedPage]:
    owner, slot = shelf.owner.key, shelf.slot
    rows = await pool.fetch(
        _CLAIM, owner, slot, shelf.fingerprint, list(set(digests)), shelf.run, shelf.used
    )
    return [claimed(digest, summary) for digest, summary in rows]


async def keep(pool: asyncpg.Pool, shelf: PageShelf, records: list[PageRecord]) -> None:
    latest = {record.digest: record for record in records}  # a page seen twice: once
    digests = list(latest)
    texts = [encoded(record) for record in latest.values()]
    owner, slot = shelf.owner.key, shelf.slot
    await pool.execute(_KEEP, owner, slot, shelf.fingerprint, digests, texts, shelf.used)


async def settle(pool: asyncpg.Pool, shelf: PageShelf) -> None:
    await pool.execute(_UNUSED, shelf.owner.key, shelf.slot, shelf.used)
