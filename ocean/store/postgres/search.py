"""Search and relation-graph queries of the PostgreSQL catalog."""

from __future__ import annotations

from typing import Any

import asyncpg

from ocean.store.search import Query, RelatedTo, indexable_rules, matching, schema_properties
from ocean.types import EntityKey

_DATASOURCES = (
    ", (SELECT coalesce(json_agg(o.datasource), '[]')::text FROM ownership o "
    "WHERE o.blueprint = e.blueprint AND o.identifier = e.identifier)"
)


async def search(
    db: asyncpg.Connection,
    query: dict[str, Any],
    blueprints: dict[str, dict[str, Any]],
    projection: tuple[list[str] | None, list[str] | None],
) -> list[dict[str, Any]]:
    """Entities matching ``query``, projected; indexable top-level rules narrow the scan."""
    compiled = Query(query, properties=schema_properties(blueprints))
    compiled.bind({rule: await related_keys(db, rule, blueprints) for rule in compiled.related})
    where, params = prefilter(query)
    extra = _DATASOURCES if compiled.uses_datasource else ""
    rows = await db.fetch(
        f"SELECT e.blueprint, e.identifier, e.body, e.created_at, e.updated_at{extra} FROM entities e{where} "
        "ORDER BY e.blueprint, e.identifier",
        *params,
    )
    return matching(rows, compiled, projection)


def prefilter(query: dict[str, Any]) -> tuple[str, list[Any]]:
    """SQL for the rules an index answers (see :func:`indexable_rules`)."""
    clauses: list[str] = []
    params: list[Any] = []
    for column, operator, value in indexable_rules(query):
        params.append(value)
        cast = "" if operator == "=" else "::text[]"
        clauses.append(
            f"{column} = ${len(params)}"
            if operator == "="
            else f"{column} = ANY(${len(params)}{cast})"
        )
    return (" WHERE " + " AND ".join(clauses), params) if clauses else ("", [])


async def related_keys(
    db: asyncpg.Connection, rule: RelatedTo, blueprints: dict[str, dict[str, Any]]
) -> set[EntityKey]:
    """Every entity reachable from the rule's entities along relations (both ways by default)."""
    start = {(rule.blueprint, identifier) for identifier in rule.identifiers}
    allowed = rule.allowed_relations(blueprints)
    found: set[EntityKey] = set()
    for direction in ("upstream", "downstream"):
        if rule.direction in (None, direction):
            found |= await _walk(db, start, direction, allowed)
    return found - start


async def _walk(
    db: asyncpg.Connection,
    start: set[EntityKey],
    direction: str,
    allowed: set[tuple[str, str]] | None,
) -> set[EntityKey]:
    if direction == "upstream":
        sql = (
            "SELECT blueprint, relation, target_blueprint, target FROM relations "
            "WHERE (blueprint, identifier) IN (SELECT * FROM unnest($1::text[], $2::text[]))"
        )
    else:
        sql = (
            "SELECT blueprint, relation, blueprint, identifier FROM relations "
            "WHERE (target_blueprint, target) IN (SELECT * FROM unnest($1::text[], $2::text[]))"
        )
    seen, frontier = set(start), set(start)
    while frontier:
        keys = sorted(frontier)
        rows = await db.fetch(sql, [k[0] for k in keys], [k[1] for k in keys])
        step = {
            (bp, ident)
            for source_bp, relation, bp, ident in rows
            if allowed is None or (source_bp, relation) in allowed
        }
        frontier = step - seen
        seen |= frontier
    return seen
