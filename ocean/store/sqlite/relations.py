"""The embedded catalog's relation edges, kept by target only (run on the store's thread).

One B-tree keyed (target blueprint, target, blueprint, identifier, relation) answers what
deletion and the stale check ask: who relates to this entity. What an entity relates to is
in its body, read with its blueprint's rules (:meth:`EntityRules.edges`, the same function
that made the edges), so a write keeps one index of edges instead of two: a 50k-entity first
sync spends a fifth less time in SQLite. An entity's old edges come from its stored body,
and a blueprint whose relations change has its entities' edges made again.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable

import orjson

from ocean.store.created import Row
from ocean.store.entity_rules import Edge, EntityRules
from ocean.store.sqlite.values import execute_rows
from ocean.store.writes import dumps
from ocean.types import EntityKey

RulesOf = Callable[[str], EntityRules | None]

_REBUILD_CHUNK = 5000
_ADD = (
    "INSERT OR IGNORE INTO relations(target_blueprint, target, blueprint, identifier, relation) "
    "VALUES {values}"
)
_ROWS = "SELECT value->>0, value->>1, value->>2, value->>3, value->>4 FROM json_each(?1)"
_BODIES = (
    "SELECT json_group_array(json_array(blueprint, identifier, json(body))) FROM entities "
    "WHERE (blueprint, identifier) IN (SELECT value->>0, value->>1 FROM json_each(?1))"
)


def rows(key: EntityKey, edges: Iterable[Edge]) -> list[Row]:
    """The stored rows of one entity's edges."""
    return [(target_bp, target, *key, relation) for relation, target_bp, target in edges]


def add(db: sqlite3.Connection, new: list[Row]) -> None:
    execute_rows(db, _ADD, "({0},{1},{2},{3},{4})", new)


def remove(db: sqlite3.Connection, old: list[Row]) -> None:
    if old:
        db.execute(
            "DELETE FROM relations WHERE (target_blueprint, target, blueprint, identifier, "
            f"relation) IN ({_ROWS})",
            (dumps(old),),
        )


def outgoing(db: sqlite3.Connection, keys: Iterable[EntityKey], rules_of: RulesOf) -> list[Row]:
    """The edges from these entities, read from their stored bodies."""
    (found,) = db.execute(_BODIES, (dumps(sorted(keys)),)).fetchone()
    edges: list[Row] = []
    for blueprint, identifier, body in orjson.loads(found):
        rules = rules_of(blueprint)
        if rules is not None:
            edges += rows((blueprint, identifier), rules.edges(body))
    return edges


def rebuild(db: sqlite3.Connection, blueprint: str, rules: EntityRules) -> set[EntityKey]:
    """Make the edges from ``blueprint``'s entities again under its (changed) relations,
    a few thousand entities at a time: the entities they point at (which the caller checks
    exist)."""
    db.execute("DELETE FROM relations WHERE blueprint = ?", (blueprint,))
    bodies = db.execute("SELECT identifier, body FROM entities WHERE blueprint = ?", (blueprint,))
    targets: set[EntityKey] = set()
    while chunk := bodies.fetchmany(_REBUILD_CHUNK):
        edges = [rows((blueprint, ident), rules.edges(orjson.loads(body))) for ident, body in chunk]
        made = [row for entity in edges for row in entity]
        add(db, made)
        targets.update((row[0], row[1]) for row in made)
    return targets


_TOUCHED = (
    "WITH keys(b, i) AS (SELECT value->>0, value->>1 FROM json_each(?1)) "
    "SELECT json_group_array(json_array(b, i)) FROM ("
    "SELECT blueprint AS b, identifier AS i FROM entities "
    "WHERE (blueprint, identifier) IN keys AND updated_at >= ?2 UNION "
    "SELECT r.target_blueprint, r.target FROM relations r JOIN entities e "
    "ON e.blueprint = r.blueprint AND e.identifier = r.identifier "
    "WHERE (r.target_blueprint, r.target) IN keys AND e.updated_at >= ?2)"
)


def touched(db: sqlite3.Connection, keys: Iterable[EntityKey], moment: str) -> set[EntityKey]:
    """Those of ``keys`` written at ``moment`` or after, or related to by an entity written
    then (each edge into them is read, the check made by SQLite)."""
    (found,) = db.execute(_TOUCHED, (dumps(sorted(keys)), moment)).fetchone()
    return {(blueprint, identifier) for blueprint, identifier in orjson.loads(found)}
