"""The PostgreSQL catalog's relation edges: written with their entities, made again when a
blueprint's relations change, and read by target (who relates to these entities)."""

from __future__ import annotations

import asyncpg
import orjson

from ocean.store.entity_rules import EntityRules
from ocean.types import EntityKey


def columns(keys: list[EntityKey]) -> tuple[list[str], list[str]]:
    return [bp for bp, _ in keys], [ident for _, ident in keys]


async def insert_edges(db: asyncpg.Connection, edges: list[tuple[str, ...]]) -> None:
    if edges:
        await db.execute(
            "INSERT INTO relations SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[]) "
            "ON CONFLICT DO NOTHING",
            *(list(column) for column in zip(*edges, strict=True)),
        )


async def rebuild_edges(db: asyncpg.Connection, blueprint: str, rules: EntityRules) -> None:
    """Make the edges from ``blueprint``'s entities again under its changed relations."""
    await db.execute("DELETE FROM relations WHERE blueprint = $1", blueprint)
    rows = await db.fetch("SELECT identifier, body FROM entities WHERE blueprint = $1", blueprint)
    await insert_edges(
        db,
        [
            (blueprint, identifier, *edge)
            for identifier, body in rows
            for edge in rules.edges(orjson.loads(body))
        ],
    )


async def dependents_of(
    db: asyncpg.Connection, keys: set[EntityKey]
) -> dict[EntityKey, set[EntityKey]]:
    found: dict[EntityKey, set[EntityKey]] = {}
    for target, dependent, _ in await edges_into(db, keys):
        found.setdefault(target, set()).add(dependent)
    return found


async def edges_into(
    db: asyncpg.Connection, keys: set[EntityKey]
) -> list[tuple[EntityKey, EntityKey, str]]:
    """(target, dependent, the dependent's updated_at) for each edge into ``keys``."""
    rows = await db.fetch(
        "SELECT r.target_blueprint, r.target, r.blueprint, r.identifier, e.updated_at "
        "FROM relations r JOIN entities e ON e.blueprint = r.blueprint AND e.identifier = r.identifier "
        "WHERE (r.target_blueprint, r.target) IN (SELECT * FROM unnest($1::text[], $2::text[]))",
        *columns(sorted(keys)),
    )
    return [
        ((target_bp, target), (bp, ident), str(updated_at))
        for target_bp, target, bp, ident, updated_at in rows
        if (bp, ident) != (target_bp, target)
    ]
