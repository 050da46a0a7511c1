"""Blueprints on PostgreSQL: created, and changed in one transaction with their entities'
rules (the changes' lock taken as every write of their entities takes it)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import asyncpg
import orjson

from ocean.store.entity_rules import EntityRules
from ocean.store.postgres import removed_fields
from ocean.store.postgres.relations import rebuild_edges
from ocean.store.postgres.rows import existing
from ocean.store.postgres.rules import lock_blueprint_changes, lock_blueprints
from ocean.store.validation import checked_update, dangling_relations, new_blueprints
from ocean.store.writes import dumps


async def create(pool: asyncpg.Pool, stamp: str, blueprints: list[dict[str, Any]]) -> list[str]:
    """Create the blueprints not stored yet; their identifiers."""
    async with pool.acquire() as db, db.transaction():
        await lock_blueprint_changes(db)
        stored = {row[0] for row in await db.fetch("SELECT identifier FROM blueprints")}
        new = new_blueprints(blueprints, stored)
        await db.executemany(
            "INSERT INTO blueprints(identifier, body, created_at, updated_at) VALUES ($1,$2,$3,$4)",
            [(bp["identifier"], dumps(bp), stamp, stamp) for bp in new],
        )
    return [bp["identifier"] for bp in new]


async def change(
    pool: asyncpg.Pool,
    stamp: Callable[[], str],
    identifier: str,
    change: Callable[[dict[str, Any]], dict[str, Any]],
) -> dict[str, Any] | None:
    """:meth:`~ocean.store.base.Store.change_blueprint` (``stamp``: the time of the change)."""
    async with pool.acquire() as db, db.transaction():
        await lock_blueprint_changes(db)
        await lock_blueprints(db, [identifier])  # as its entities' writes (they check it)
        body = await db.fetchval("SELECT body FROM blueprints WHERE identifier = $1", identifier)
        if body is None:
            return None
        current = orjson.loads(body)
        patch = change(current)
        if not patch:
            return dict(current)
        known = {row[0] for row in await db.fetch("SELECT identifier FROM blueprints")}
        updated = checked_update(current, patch, known)
        await db.execute(
            "UPDATE blueprints SET body = $1, updated_at = $2, "
            "version = nextval('blueprint_versions') WHERE identifier = $3",
            dumps(updated),
            stamp(),
            identifier,
        )
        await removed_fields.strip_removed(db, identifier, current, updated)
        if updated.get("relations") != current.get("relations"):
            targets = await rebuild_edges(db, identifier, EntityRules(updated))
            if missing := targets - await existing(db, targets):  # rolled back
                raise dangling_relations(identifier, sorted(missing))
    return updated
