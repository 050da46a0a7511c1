"""The embedded catalog's entity rows as a bulk write touches them (run on the store's
thread): the stored bodies it compares with, placeholders for missing relation targets,
and the rows and ownership it writes."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

import orjson

from ocean.store.base import now_iso
from ocean.store.sqlite.values import execute_rows
from ocean.store.writes import dumps
from ocean.types import EntityKey

_UPSERT = (
    "INSERT INTO entities(blueprint, identifier, body, created_at, updated_at, version) "
    "VALUES {values} ON CONFLICT(blueprint, identifier) DO UPDATE SET body=excluded.body, "
    "updated_at=excluded.updated_at, version=excluded.version"
)
_INSERT = (
    "INSERT INTO entities(blueprint, identifier, body, created_at, updated_at, version) "
    "VALUES {values}"
)
_UPSERTED = "({0},{1},{2},?1,?1,?2)"
"""One written entity's row: its blueprint, identifier and body; the write's time and version."""
_PLACEHOLDERS = (
    "INSERT INTO entities(blueprint, identifier, body, created_at, updated_at, version) "
    "SELECT value->>0, value->>1, json_object('placeholder', json('true'), 'title', value->>1), "
    "?2, ?2, ?3 "
    "FROM json_each(?1) WHERE true ON CONFLICT DO NOTHING"
)
_OWN = (
    "INSERT OR IGNORE INTO ownership(owner, blueprint, identifier) "
    "SELECT ?2, value->>0, value->>1 FROM json_each(?1)"
)
_OWNED = "INSERT OR IGNORE INTO ownership(owner, blueprint, identifier) VALUES {values}"
_OWNING = (  # one key seek per owner and entity, as ownership is keyed by owner first
    "SELECT o.owner, o.blueprint, o.identifier FROM json_each(?1) k CROSS JOIN owners w "
    "CROSS JOIN ownership o ON o.owner = w.id AND o.blueprint = k.value->>0 "
    "AND o.identifier = k.value->>1"
)
_DISOWN = "DELETE FROM ownership WHERE owner = ? AND blueprint = ? AND identifier = ?"
_READ_CHUNK = 2000
"""Stored bodies read per statement (a key list SQLite parses as JSON; a big write reads in parts)."""
_STORED = (  # rows, not one JSON array: bodies are long, and escaping them costs more
    "SELECT identifier, body, version FROM entities "
    "WHERE blueprint = ?1 AND identifier IN (SELECT value FROM json_each(?2))"
)


class StoredAfterAll(Exception):
    """A write of new rows met a key that is stored: it is rolled back and made again,
    asking which are."""


def stored_bodies(
    db: sqlite3.Connection, keys: list[EntityKey]
) -> tuple[dict[EntityKey, str], dict[EntityKey, int]]:
    """The stored body texts and versions of these entities (those that exist)."""
    by_blueprint: dict[str, list[str]] = {}
    for blueprint, identifier in keys:
        by_blueprint.setdefault(blueprint, []).append(identifier)
    bodies: dict[EntityKey, str] = {}
    versions: dict[EntityKey, int] = {}
    for blueprint, identifiers in by_blueprint.items():
        for start in range(0, len(identifiers), _READ_CHUNK):
            chunk = orjson.dumps(identifiers[start : start + _READ_CHUNK])
            for ident, body, version in db.execute(_STORED, (blueprint, chunk)):
                bodies[blueprint, ident] = body
                versions[blueprint, ident] = version
    return bodies, versions


OwnerNumber = Callable[[], int]
"""The writing owner's number, asked for only when a row is written (it writes the
owner's own row the first time)."""


def placeholders(
    db: sqlite3.Connection, missing: set[EntityKey], owner: OwnerNumber, version: int
) -> None:
    """Create the ``missing`` relation targets as placeholders (marked: see
    :data:`~ocean.store.writes.PLACEHOLDER`), owned by ``owner`` until someone writes them."""
    if missing:
        keys = dumps(sorted(missing))
        db.execute(_PLACEHOLDERS, (keys, now_iso(), version))
        db.execute(_OWN, (keys, owner()))


def write(
    db: sqlite3.Connection,
    rows: list[tuple[str, str, str]],
    owner: OwnerNumber,
    version: int,
    *,
    new: bool = False,
    claimed: list[EntityKey] | None = None,
) -> None:
    """Upsert (blueprint, identifier, body text) rows, owned by ``owner``; ``new``: insert
    them, raising :class:`StoredAfterAll` if one is stored. ``claimed``: those of them
    written over placeholders, which ``owner`` alone owns from now on."""
    if not rows:
        return
    if claimed:
        db.executemany(_DISOWN, db.execute(_OWNING, (dumps(claimed),)).fetchall())
    try:
        execute_rows(db, _INSERT if new else _UPSERT, _UPSERTED, rows, (now_iso(), version))
    except sqlite3.IntegrityError as error:
        if new and error.sqlite_errorcode == sqlite3.SQLITE_CONSTRAINT_UNIQUE:
            raise StoredAfterAll from error
        raise
    keys = [(blueprint, identifier) for blueprint, identifier, _ in rows]
    execute_rows(db, _OWNED, "(?1,{0},{1})", keys, (owner(),))
