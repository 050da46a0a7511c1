"""A blueprint change's removed properties and relations taken out of its entities' stored
bodies (:mod:`ocean.store.removed_fields`), in the change's transaction (which holds the
blueprint's lock, as its entities' writes do)."""

from __future__ import annotations

from typing import Any

import asyncpg

from ocean.store.removed_fields import CHUNK, removal, stripped

_HOLDING = (  # the bodies that may hold a removed name, a chunk at a time in key order
    "SELECT identifier, body FROM entities WHERE blueprint = $1 "
    "AND ($2::text IS NULL OR identifier > $2) AND ($3::text[] IS NULL OR EXISTS "
    "(SELECT 1 FROM unnest($3::text[]) AS n(name) WHERE strpos(body, n.name) > 0)) "
    "ORDER BY identifier LIMIT $4"
)
_REWRITE = (
    "UPDATE entities e SET body = n.body, version = $4 "
    "FROM unnest($2::text[], $3::text[]) AS n(identifier, body) "
    "WHERE e.blueprint = $1 AND e.identifier = n.identifier"
)


async def strip_removed(
    db: asyncpg.Connection, blueprint: str, current: dict[str, Any], updated: dict[str, Any]
) -> int:
    """Take what ``updated`` no longer defines of ``current`` out of the bodies of
    ``blueprint``'s entities (:class:`~ocean.store.removed_fields.Removal`): how many changed."""
    plan = removal(current, updated)
    if plan is None:
        return 0
    after, count = None, 0
    while rows := await db.fetch(_HOLDING, blueprint, after, plan.needles, CHUNK):
        after = rows[-1][0]
        changed = stripped([(ident, body) for ident, body in rows], plan.rules)
        if changed:
            identifiers, bodies = zip(*changed, strict=True)
            await db.execute(_REWRITE, blueprint, list(identifiers), list(bodies), plan.version)
        count += len(changed)
    return count
