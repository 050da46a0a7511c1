"""Search and relation-graph queries of the embedded catalog (run on the store's thread)."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from typing import Any

import orjson

from ocean.store.search import Query, RelatedTo, indexable_rules, matching, schema_properties
from ocean.store.sqlite import relations
from ocean.store.writes import dumps
from ocean.types import EntityKey

# CROSS JOIN keeps the owners as the outer loop: one key seek per owner for each entity.
DATASOURCES = (
    ", (SELECT json_group_array(w.datasource) FROM owners w CROSS JOIN ownership o "
    "ON o.owner = w.id AND o.blueprint = e.blueprint AND o.identifier = e.identifier)"
)


def search(
    db: sqlite3.Connection,
    query: dict[str, Any],
    blueprints: dict[str, dict[str, Any]],
    projection: tuple[list[str] | None, list[str] | None],
    rules_of: relations.RulesOf,
) -> list[dict[str, Any]]:
    """Entities matching ``query``, projected; indexable top-level rules narrow the scan.
    ``rules_of`` gives a blueprint's compiled rules (what an entity relates to)."""
    compiled = Query(query, properties=schema_properties(blueprints))
    compiled.bind({rule: related_keys(db, rule, blueprints, rules_of) for rule in compiled.related})
    where, params = prefilter(query)
    extra = DATASOURCES if compiled.uses_datasource else ""
    sql = f"SELECT e.blueprint, e.identifier, e.body, e.created_at, e.updated_at{extra} FROM entities e{where} ORDER BY e.blueprint, e.identifier"
    return matching(db.execute(sql, params), compiled, projection)


def prefilter(query: dict[str, Any]) -> tuple[str, list[Any]]:
    """SQL for the rules the entities' key answers (see :func:`indexable_rules`); identifiers
    without a blueprint are looked up under every blueprint."""
    clauses, params, columns = [], [], set()
    for column, operator, value in indexable_rules(query):
        clauses.append(
            f"{column} = ?" if operator == "=" else f"{column} IN (SELECT value FROM json_each(?))"
        )
        params.append(value if operator == "=" else dumps(value))
        columns.add(column)
    if columns == {"e.identifier"}:
        clauses.append("e.blueprint IN (SELECT identifier FROM blueprints)")
    return (" WHERE " + " AND ".join(clauses), params) if clauses else ("", [])


def related_keys(
    db: sqlite3.Connection,
    rule: RelatedTo,
    blueprints: dict[str, dict[str, Any]],
    rules_of: relations.RulesOf,
) -> set[EntityKey]:
    """Every entity reachable from the rule's entities along relations (both ways by default):
    one of them too when another of them reaches it (none is a relation of itself)."""
    start = rule.start()
    allowed = rule.allowed_relations(blueprints)
    steps: dict[str, Hop] = {
        "upstream": lambda keys: _upstream(db, keys, rules_of),
        "downstream": lambda keys: _downstream(db, keys),
    }
    found: set[EntityKey] = set()
    for direction, step in steps.items():
        if rule.direction in (None, direction):
            reached = _walk(start, step, allowed)
            found |= reached - start
            found |= {key for key in reached & start if key in _walk(start - {key}, step, allowed)}
    return found


Hop = Callable[[set[EntityKey]], list[tuple[str, str, str, str]]]
"""One hop from a set of entities: (source blueprint, relation, blueprint, identifier) each."""


def _upstream(
    db: sqlite3.Connection, keys: set[EntityKey], rules_of: relations.RulesOf
) -> list[tuple[str, str, str, str]]:
    """What these entities relate to, from their bodies."""
    edges = relations.outgoing(db, keys, rules_of)
    return [(bp, relation, target_bp, target) for target_bp, target, bp, _, relation in edges]


def _downstream(db: sqlite3.Connection, keys: set[EntityKey]) -> list[tuple[str, str, str, str]]:
    """The entities relating to these."""
    sql = (
        "SELECT json_group_array(json_array(blueprint, relation, blueprint, identifier)) FROM relations "
        "WHERE (target_blueprint, target) IN (SELECT value->>0, value->>1 FROM json_each(?))"
    )
    (rows,) = db.execute(sql, (dumps(sorted(keys)),)).fetchone()
    return [
        (source_bp, relation, bp, ident) for source_bp, relation, bp, ident in orjson.loads(rows)
    ]


def _walk(start: set[EntityKey], step: Hop, allowed: set[tuple[str, str]] | None) -> set[EntityKey]:
    """The entities one hop or more from ``start`` (one of ``start`` only if reached)."""
    seen, frontier, reached = set(start), set(start), set[EntityKey]()
    while frontier:
        found = {
            (bp, ident)
            for source_bp, relation, bp, ident in step(frontier)
            if allowed is None or (source_bp, relation) in allowed
        }
        reached |= found
        frontier = found - seen
        seen |= frontier
    return reached
