"""A blueprint change's removed properties and relations taken out of its entities' stored
bodies (:mod:`ocean.store.removed_fields`), in the change's transaction on the catalog's
thread."""

from __future__ import annotations

import sqlite3
from typing import Any

from ocean.store.removed_fields import CHUNK, removal, stripped
from ocean.store.writes import dumps

_HOLDING = (  # the bodies that may hold a removed name, a chunk at a time in key order
    "SELECT identifier, body FROM entities WHERE blueprint = ?1 AND (?2 IS NULL OR identifier > ?2) AND "
    "(?3 IS NULL OR EXISTS (SELECT 1 FROM json_each(?3) WHERE instr(body, value) > 0)) "
    "ORDER BY identifier LIMIT ?4"
)
_REWRITE = "UPDATE entities SET body = ?3, version = ?4 WHERE blueprint = ?1 AND identifier = ?2"


def strip_removed(
    db: sqlite3.Connection, blueprint: str, current: dict[str, Any], updated: dict[str, Any]
) -> int:
    """Take what ``updated`` no longer defines of ``current`` out of the bodies of
    ``blueprint``'s entities (:class:`~ocean.store.removed_fields.Removal`): how many changed."""
    plan = removal(current, updated)
    if plan is None:
        return 0
    wanted = None if plan.needles is None else dumps(plan.needles)
    after, count = None, 0
    while rows := db.execute(_HOLDING, (blueprint, after, wanted, CHUNK)).fetchall():
        after = rows[-1][0]
        changed = stripped(rows, plan.rules)
        rewrites = [(blueprint, ident, body, plan.version) for ident, body in changed]
        db.executemany(_REWRITE, rewrites)
        count += len(changed)
    return count
