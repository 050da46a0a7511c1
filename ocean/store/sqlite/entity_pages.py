"""The embedded catalog's entities in key order, a page at a time (pure SQL text)."""

from __future__ import annotations

from ocean.types import EntityKey

SELECT = "SELECT blueprint, identifier, body, created_at, updated_at FROM entities"
"""An entity's stored columns, as :func:`~ocean.store.writes.shaped` takes them."""


def page_query(blueprint: str | None, after: EntityKey, limit: int) -> tuple[str, list[str]]:
    """The entities after ``after`` in key order (of one blueprint), as a seek on the key
    index: a page deep into a blueprint starts where the last one ended, not at its start."""
    order = f"ORDER BY blueprint, identifier LIMIT {int(limit)}"
    if not blueprint:
        return f"{SELECT} WHERE (blueprint, identifier) > (?, ?) {order}", [*after]
    if after[0] > blueprint:
        return f"{SELECT} WHERE 0 {order}", []
    if after[0] < blueprint:
        return f"{SELECT} WHERE blueprint = ? {order}", [blueprint]
    return f"{SELECT} WHERE blueprint = ? AND identifier > ? {order}", [blueprint, after[1]]
