"""The embedded catalog's per-run produced keys (:class:`~ocean.store.produced.RecordsProduced`),
run on the catalog's thread or process like the rest of
:class:`~ocean.store.sqlite.catalog.SQLiteCatalog`."""

from __future__ import annotations

import sqlite3

import orjson

from ocean.store.sqlite.catalog import SQLiteCatalog
from ocean.types import EntityKey

_MARK = "INSERT OR IGNORE INTO resync_produced(run, blueprint, identifier) VALUES (?, ?, ?)"
_AMONG = (
    "SELECT k.value->>0, k.value->>1 FROM json_each(?2) k WHERE EXISTS (SELECT 1 FROM "
    "resync_produced p WHERE p.run = ?1 AND p.blueprint = k.value->>0 "
    "AND p.identifier = k.value->>1)"
)
_COUNTS = (
    "SELECT blueprint, count(*) FROM (SELECT o.blueprint, o.identifier FROM ownership o "
    "JOIN entities e ON e.blueprint = o.blueprint AND e.identifier = o.identifier "
    "WHERE o.owner = (SELECT id FROM owners WHERE key = ?1) AND e.updated_at > ?3 "
    "UNION SELECT blueprint, identifier FROM resync_produced WHERE run = ?2) GROUP BY blueprint"
)
_UNPRODUCED_PAGE = (
    "SELECT o.blueprint, o.identifier FROM ownership o "
    "JOIN entities e ON e.blueprint = o.blueprint AND e.identifier = o.identifier "
    "WHERE o.owner = (SELECT id FROM owners WHERE key = ?1) AND e.updated_at <= ?2 "
    "AND (o.blueprint, o.identifier) > (?3, ?4) AND NOT EXISTS (SELECT 1 FROM resync_produced p "
    "WHERE p.run = ?6 AND p.blueprint = o.blueprint AND p.identifier = o.identifier) "
    "ORDER BY o.blueprint, o.identifier LIMIT ?5"
)


def mark(catalog: SQLiteCatalog, run: str, keys: list[EntityKey]) -> None:
    def write(db: sqlite3.Connection) -> None:
        db.executemany(_MARK, [(run, blueprint, identifier) for blueprint, identifier in keys])

    catalog.in_transaction(write)


def among(catalog: SQLiteCatalog, run: str, keys: list[EntityKey]) -> set[EntityKey]:
    def read(db: sqlite3.Connection) -> set[EntityKey]:
        rows = db.execute(_AMONG, (run, orjson.dumps(keys).decode())).fetchall()
        return {(blueprint, identifier) for blueprint, identifier in rows}

    return catalog.read(read)


def counts(catalog: SQLiteCatalog, owner_key: str, run: str, since: str) -> dict[str, int]:
    def read(db: sqlite3.Connection) -> dict[str, int]:
        rows = db.execute(_COUNTS, (owner_key, run, since))
        return {blueprint: int(n) for blueprint, n in rows}

    return catalog.read(read)


def unproduced_page(
    catalog: SQLiteCatalog,
    owner_key: str,
    run: str,
    before: str,
    after: EntityKey | None,
    limit: int,
) -> tuple[list[EntityKey], EntityKey | None]:
    def read(db: sqlite3.Connection) -> list[EntityKey]:
        params = (owner_key, before, *(after or ("", "")), limit, run)
        return [(bp, ident) for bp, ident in db.execute(_UNPRODUCED_PAGE, params)]

    keys = catalog.read(read)
    return keys, (keys[-1] if len(keys) == limit else None)


def owns_any(catalog: SQLiteCatalog, owner_key: str) -> bool:
    query = (
        "SELECT EXISTS (SELECT 1 FROM ownership "
        "WHERE owner = (SELECT id FROM owners WHERE key = ?1))"
    )
    return bool(catalog.read(lambda db: db.execute(query, (owner_key,)).fetchone()[0]))


_ONLY = (
    "SELECT substr((SELECT min(run) FROM resync_produced), 1, length(?1)) = ?1 "
    "AND substr((SELECT max(run) FROM resync_produced), 1, length(?1)) = ?1"
)
"""Whether every row's run starts with the prefix: compared byte by byte, the runs that do
are one range of the table's key, so its least and greatest run tell (two seeks: one
query asking for both scans the table)."""


def forget(catalog: SQLiteCatalog, prefix: str) -> None:
    """Drop the rows of the runs whose id starts with ``prefix``: all of them at once when
    no other run has any (a rerun of 1M items marked as many rows: 0.40 -> 0.13 s)."""

    def write(db: sqlite3.Connection) -> None:
        if db.execute(_ONLY, (prefix,)).fetchone()[0]:
            db.execute("DELETE FROM resync_produced")
        else:
            db.execute(
                "DELETE FROM resync_produced WHERE substr(run, 1, length(?1)) = ?1", (prefix,)
            )

    catalog.in_transaction(write)
