"""The PostgreSQL catalog's entity rows as a write transaction touches them: the stored
bodies it compares with, placeholders for missing relation targets, the rows and ownership
it writes (each a few set-based statements over ``unnest`` arrays)."""

from __future__ import annotations

import asyncpg

from ocean.store.base import Owner, now_iso
from ocean.store.postgres.relations import columns, insert_edges
from ocean.store.writes import BatchPlan
from ocean.types import EntityKey


async def stored_bodies(
    db: asyncpg.Connection, keys: list[EntityKey]
) -> tuple[dict[EntityKey, str], dict[EntityKey, int]]:
    """The stored body texts and versions of these entities (those that exist)."""
    blueprints, identifiers = columns(keys)
    rows = await db.fetch(
        "SELECT blueprint, identifier, body, version FROM entities WHERE (blueprint, identifier) IN "
        "(SELECT * FROM unnest($1::text[], $2::text[]))",
        blueprints,
        identifiers,
    )
    bodies = {(bp, ident): body for bp, ident, body, _ in rows}
    return bodies, {(bp, ident): version for bp, ident, _, version in rows}


async def existing(db: asyncpg.Connection, keys: set[EntityKey]) -> set[EntityKey]:
    if not keys:
        return set()
    rows = await db.fetch(
        "SELECT blueprint, identifier FROM entities WHERE (blueprint, identifier) IN "
        "(SELECT * FROM unnest($1::text[], $2::text[]))",
        *columns(sorted(keys)),
    )
    return {(bp, ident) for bp, ident in rows}


async def placeholders(
    db: asyncpg.Connection, keys: list[EntityKey], owner: Owner, version: int
) -> None:
    blueprints, identifiers = columns(keys)
    stamp = now_iso()
    await db.execute(
        "INSERT INTO entities(blueprint, identifier, body, created_at, updated_at, version) "
        "SELECT b, i, json_build_object('title', i)::text, $3, $3, $4 "
        "FROM unnest($1::text[], $2::text[]) AS t(b, i) ON CONFLICT DO NOTHING",
        blueprints,
        identifiers,
        stamp,
        version,
    )
    await own(db, blueprints, identifiers, owner)


async def own(
    db: asyncpg.Connection, blueprints: list[str], identifiers: list[str], owner: Owner
) -> None:
    await db.execute(
        "INSERT INTO ownership(owner, blueprint, identifier, datasource) "
        "SELECT $3, b, i, $4 FROM unnest($1::text[], $2::text[]) AS t(b, i) ON CONFLICT DO NOTHING",
        blueprints,
        identifiers,
        owner.key,
        owner.datasource,
    )


async def write(db: asyncpg.Connection, plan: BatchPlan, owner: Owner, version: int) -> None:
    if not plan.writes:
        return
    blueprints, identifiers = columns([w.key for w in plan.writes])
    updated = columns([w.key for w in plan.writes if w.status == "updated"])
    if updated[0]:  # created entities have no edges yet
        await db.execute(
            "DELETE FROM relations WHERE (blueprint, identifier) IN (SELECT * FROM unnest($1::text[], $2::text[]))",
            *updated,
        )
    await insert_edges(db, [(*w.key, *edge) for w in plan.writes for edge in plan.edges[w.key]])
    await db.execute(_WRITE_AND_OWN, blueprints, identifiers, [w.text for w in plan.writes],
                     now_iso(), version, owner.key, owner.datasource)  # fmt: skip


_WRITE_AND_OWN = (  # the rows and their ownership in one statement (one round trip)
    "WITH written AS (INSERT INTO entities(blueprint, identifier, body, created_at, updated_at, "
    "version) SELECT b, i, body, $4, $4, $5 FROM unnest($1::text[], $2::text[], $3::text[]) "
    "AS t(b, i, body) ON CONFLICT (blueprint, identifier) DO UPDATE SET body = excluded.body, "
    "updated_at = excluded.updated_at, version = excluded.version) "
    "INSERT INTO ownership(owner, blueprint, identifier, datasource) "
    "SELECT $6, b, i, $7 FROM unnest($1::text[], $2::text[]) AS t(b, i) ON CONFLICT DO NOTHING"
)
