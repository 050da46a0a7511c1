"""The PostgreSQL catalog's relation edges, kept by target only: written with their
entities, made again when a blueprint's relations change, and read by target (who relates
to these entities).

One index of (target, identifier), not unique (migration 18), answers what deletion and
the stale check ask (who relates to a target) and finds one edge (its target and source).
What an entity relates to is in its body, read with its blueprint's rules
(:meth:`EntityRules.edges`, the function that made the edges), so a write keeps one index
of edges instead of two; an update's old edges come from its stored body.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping

import asyncpg
import orjson

from ocean.store.base import DeleteResult
from ocean.store.blocked import Blocked, Causes, check_written_before, kept_in_use, spared, watched
from ocean.store.created import Row
from ocean.store.entity_rules import Edge, EntityRules
from ocean.store.postgres.rules import lock_blueprints, relating_to
from ocean.types import EntityKey

RulesOf = Callable[[str], EntityRules | None]

COLUMNS = ["target_blueprint", "target", "blueprint", "identifier", "relation"]
"""The columns of a :data:`Row`, in its order."""
_EDGES = "SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[])"


def columns(keys: list[EntityKey]) -> tuple[list[str], list[str]]:
    return [bp for bp, _ in keys], [ident for _, ident in keys]


def rows(key: EntityKey, edges: Iterable[Edge]) -> list[Row]:
    """One entity's edges as rows."""
    return [(target_bp, target, *key, relation) for relation, target_bp, target in edges]


async def insert_edges(db: asyncpg.Connection, edges: list[Row]) -> None:
    """Add these edges, each once: the index of edges is not unique (migration 18), and the
    caller holds the lock of their entities' blueprints, so no other writer adds them
    meanwhile."""
    if edges:
        unique = list(dict.fromkeys(edges))
        await db.execute(_NEW_EDGES, *(list(column) for column in zip(*unique, strict=True)))


_NEW_EDGES = (
    f"INSERT INTO relations({', '.join(COLUMNS)}) SELECT * FROM ({_EDGES}) AS n(tb, t, b, i, r) "
    "WHERE NOT EXISTS (SELECT 1 FROM relations x WHERE x.target = n.t AND x.identifier = n.i "
    "AND x.target_blueprint = n.tb AND x.blueprint = n.b AND x.relation = n.r)"
)


async def delete_edges(db: asyncpg.Connection, edges: list[Row]) -> None:
    if edges:
        await db.execute(
            f"DELETE FROM relations WHERE ({', '.join(COLUMNS)}) IN ({_EDGES})",
            *(list(column) for column in zip(*edges, strict=True)),
        )


async def outgoing(
    db: asyncpg.Connection, keys: Iterable[EntityKey], rules_of: RulesOf
) -> list[Row]:
    """The edges from these entities, read from their stored bodies."""
    found = await db.fetch(
        "SELECT blueprint, identifier, body FROM entities WHERE (blueprint, identifier) IN "
        "(SELECT * FROM unnest($1::text[], $2::text[]))",
        *columns(sorted(keys)),
    )
    edges: list[Row] = []
    for blueprint, identifier, body in found:
        rules = rules_of(blueprint)
        if rules is not None:
            edges += rows((blueprint, identifier), rules.edges(orjson.loads(body)))
    return edges


async def rebuild_edges(
    db: asyncpg.Connection, blueprint: str, rules: EntityRules
) -> set[EntityKey]:
    """Make the edges from ``blueprint``'s entities again under its changed relations: the
    entities they point at (which the caller checks exist)."""
    await db.execute("DELETE FROM relations WHERE blueprint = $1", blueprint)
    found = await db.fetch("SELECT identifier, body FROM entities WHERE blueprint = $1", blueprint)
    made = [
        edge
        for identifier, body in found
        for edge in rows((blueprint, identifier), rules.edges(orjson.loads(body)))
    ]
    await insert_edges(db, made)
    return {(edge[0], edge[1]) for edge in made}


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
    found = await db.fetch(
        "SELECT r.target_blueprint, r.target, r.blueprint, r.identifier, e.updated_at "
        "FROM relations r JOIN entities e ON e.blueprint = r.blueprint AND e.identifier = r.identifier "
        "WHERE (r.target_blueprint, r.target) IN (SELECT * FROM unnest($1::text[], $2::text[]))",
        *columns(sorted(keys)),
    )
    return [
        ((target_bp, target), (bp, ident), str(updated_at))
        for target_bp, target, bp, ident, updated_at in found
        if (bp, ident) != (target_bp, target)
    ]


async def delete_entities(
    db: asyncpg.Connection,
    keys: list[EntityKey],
    rules: Mapping[str, EntityRules],
    delete_dependents: bool,
    written_before: str | None = None,
    causes: Causes | None = None,
) -> DeleteResult:
    """Delete ``keys`` (and what relates to them, with ``delete_dependents``) by the current
    ``rules``, which the caller keeps from changing: what is deleted, what is kept because
    others relate to it, what because it was written after ``written_before``, and what
    a cascade took that leads to nothing going (``causes``, :func:`.blocked.spared`).
    Every write that could
    add an edge into what is deleted, or change it, or touch a cause, waits for the
    deletion's commit (their blueprints' locks), so what is deleted is all that relates to
    ``keys`` when it commits."""
    check_written_before(delete_dependents, written_before, causes)
    ahead = watched(causes) if causes else set()
    names = {blueprint for blueprint, _ in [*keys, *ahead]}
    await lock_blueprints(db, relating_to(rules, names, through_others=delete_dependents))
    written = await _written_after(db, keys, written_before)
    kept = await _spared(db, keys, causes or {}, ahead, written_before, written) if ahead else []
    doomed, blocked = await doomed_and_blocked(db, keys, delete_dependents, {*written, *kept})
    await delete_edges(db, await outgoing(db, doomed, rules.get))
    await delete_rows(db, doomed)
    return DeleteResult(sorted(doomed), blocked, written, kept)


_TOUCHED = (
    "WITH keys AS (SELECT * FROM unnest($1::text[], $2::text[]) AS k(b, i)) "
    "SELECT blueprint, identifier FROM entities WHERE (blueprint, identifier) IN "
    "(SELECT b, i FROM keys) AND updated_at >= $3 UNION "
    "SELECT r.target_blueprint, r.target FROM relations r JOIN entities e "
    "ON e.blueprint = r.blueprint AND e.identifier = r.identifier "
    "WHERE (r.target_blueprint, r.target) IN (SELECT b, i FROM keys) AND e.updated_at >= $3"
)


async def _spared(
    db: asyncpg.Connection,
    keys: list[EntityKey],
    causes: Causes,
    ahead: set[EntityKey],
    moment: str | None,
    written: list[EntityKey],
) -> list[EntityKey]:
    """Those of ``keys`` (not ``written``) a cascade took only for entities written at
    ``moment`` or after, or related to by one written then (:func:`.blocked.spared`);
    ``ahead``: the causes watched."""
    assert moment is not None  # check_written_before
    rows = await db.fetch(_TOUCHED, *columns(sorted(ahead)), moment)
    touched = {(blueprint, identifier) for blueprint, identifier in rows}
    return sorted(set(spared(keys, causes, touched)) - set(written))


async def _written_after(
    db: asyncpg.Connection, keys: list[EntityKey], moment: str | None
) -> list[EntityKey]:
    if moment is None or not keys:
        return []
    rows = await db.fetch(
        "SELECT blueprint, identifier FROM entities WHERE (blueprint, identifier) IN "
        "(SELECT * FROM unnest($1::text[], $2::text[])) AND updated_at >= $3 ORDER BY 1, 2",
        *columns(keys),
        moment,
    )
    return [(bp, identifier) for bp, identifier in rows]


async def doomed_and_blocked(
    db: asyncpg.Connection,
    keys: list[EntityKey],
    delete_dependents: bool,
    kept: set[EntityKey] = frozenset(),  # type: ignore[assignment]
) -> tuple[set[EntityKey], Blocked]:
    """What deleting ``keys`` deletes: with ``delete_dependents`` every entity relating to
    them too, else the keys others still relate to are kept (with who relates to them);
    ``kept``, of ``keys``, stay whatever."""
    doomed: set[EntityKey] = set(keys) - kept
    frontier: set[EntityKey] = set(doomed)
    while frontier:
        dependents = await dependents_of(db, frontier)
        if not delete_dependents:
            blocked = kept_in_use(doomed, dependents)
            return doomed, blocked
        frontier = set().union(*dependents.values()) - doomed if dependents else set()
        doomed |= frontier
    return doomed, {}


async def delete_rows(db: asyncpg.Connection, doomed: set[EntityKey]) -> None:
    """The entities ``doomed`` and their ownership (their edges go first: delete_edges).
    Nothing doomed runs no statement: a deletion of nothing would count as one and make
    every store forget the relation targets it knows (see :mod:`.known`)."""
    if not doomed:
        return
    blueprints, identifiers = columns(sorted(doomed))
    for table in ("ownership", "entities"):
        await db.execute(
            f"DELETE FROM {table} WHERE (blueprint, identifier) IN "
            "(SELECT * FROM unnest($1::text[], $2::text[]))",
            blueprints,
            identifiers,
        )
