"""Search and relation-graph queries of the PostgreSQL catalog."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import asyncpg

from ocean.store.entity_rules import EntityRules
from ocean.store.postgres.owners import DATASOURCES
from ocean.store.postgres.relations import RulesOf, columns, outgoing
from ocean.store.search import Query, RelatedTo, indexable_rules, matching, schema_properties
from ocean.types import EntityKey


async def search(
    db: asyncpg.Connection,
    query: dict[str, Any],
    blueprints: dict[str, dict[str, Any]],
    projection: tuple[list[str] | None, list[str] | None],
) -> list[dict[str, Any]]:
    """Entities matching ``query``, projected; indexable top-level rules narrow the scan.

    A relatedTo rule's hops (a statement each) and the entities read share one snapshot, so
    a write landing between them is seen whole or not at all."""
    compiled = Query(query, properties=schema_properties(blueprints))
    if not compiled.related:
        return await _matching(db, query, compiled, projection)
    async with db.transaction(isolation="repeatable_read", readonly=True):
        compiled.bind({rule: await related_keys(db, rule, blueprints) for rule in compiled.related})
        return await _matching(db, query, compiled, projection)


async def _matching(
    db: asyncpg.Connection,
    query: dict[str, Any],
    compiled: Query,
    projection: tuple[list[str] | None, list[str] | None],
) -> list[dict[str, Any]]:
    where, params = prefilter(query)
    extra = DATASOURCES if compiled.uses_datasource else ""
    rows = await db.fetch(
        f"SELECT e.blueprint, e.identifier, e.body, e.created_at, e.updated_at{extra} FROM entities e{where} "
        "ORDER BY e.blueprint, e.identifier",
        *params,
    )
    return matching(rows, compiled, projection)


def prefilter(query: dict[str, Any]) -> tuple[str, list[Any]]:
    """SQL for the rules the entities' key answers (see :func:`indexable_rules`); identifiers
    without a blueprint are looked up under every blueprint."""
    clauses: list[str] = []
    params: list[Any] = []
    columns = set()
    for column, operator, value in indexable_rules(query):
        params.append(value)
        clauses.append(
            f"{column} = ${len(params)}"
            if operator == "="
            else f"{column} = ANY(${len(params)}::text[])"
        )
        columns.add(column)
    if columns == {"e.identifier"}:
        clauses.append("e.blueprint IN (SELECT identifier FROM blueprints)")
    return (" WHERE " + " AND ".join(clauses), params) if clauses else ("", [])


async def related_keys(
    db: asyncpg.Connection, rule: RelatedTo, blueprints: dict[str, dict[str, Any]]
) -> set[EntityKey]:
    """Every entity reachable from the rule's entities along relations (both ways by default):
    one of them too when another of them reaches it (none is a relation of itself)."""
    start = rule.start()
    allowed = rule.allowed_relations(blueprints)
    rules = {identifier: EntityRules(blueprint) for identifier, blueprint in blueprints.items()}
    found: set[EntityKey] = set()
    for direction in ("upstream", "downstream"):
        if rule.direction in (None, direction):

            async def walk(keys: set[EntityKey], way: str = direction) -> set[EntityKey]:
                return await _walk(db, keys, way, allowed, rules.get)

            found |= await _related(start, walk)
    return found


async def _related(
    start: set[EntityKey], walk: Callable[[set[EntityKey]], Awaitable[set[EntityKey]]]
) -> set[EntityKey]:
    """What ``start`` reaches one way: one of ``start`` only when another of them reaches it."""
    reached = await walk(start)
    found = reached - start
    for key in reached & start:
        if key in await walk(start - {key}):
            found.add(key)
    return found


async def _walk(
    db: asyncpg.Connection,
    start: set[EntityKey],
    direction: str,
    allowed: set[tuple[str, str]] | None,
    rules_of: RulesOf,
) -> set[EntityKey]:
    """The entities one hop or more from ``start`` (one of ``start`` only if reached)."""
    seen, frontier, reached = set(start), set(start), set[EntityKey]()
    while frontier:
        step = {
            (bp, ident)
            for source_bp, relation, bp, ident in await _hop(db, frontier, direction, rules_of)
            if allowed is None or (source_bp, relation) in allowed
        }
        reached |= step
        frontier = step - seen
        seen |= frontier
    return reached


async def _hop(
    db: asyncpg.Connection, keys: set[EntityKey], direction: str, rules_of: RulesOf
) -> list[tuple[str, str, str, str]]:
    """One hop: (source blueprint, relation, blueprint, identifier) each. Upstream, what
    these entities relate to, from their bodies; downstream, the entities relating to them."""
    if direction == "upstream":
        edges = await outgoing(db, keys, rules_of)
        return [(bp, relation, target_bp, target) for target_bp, target, bp, _, relation in edges]
    rows = await db.fetch(
        "SELECT blueprint, relation, blueprint, identifier FROM relations "
        "WHERE (target_blueprint, target) IN (SELECT * FROM unnest($1::text[], $2::text[]))",
        *columns(sorted(keys)),
    )
    return [(source_bp, relation, bp, ident) for source_bp, relation, bp, ident in rows]
