"""The embedded catalog's audit log (:class:`~ocean.store.audit.KeepsAudit`) and blueprint
deletion, run on the catalog's thread or process like the rest of
:class:`~ocean.store.sqlite.catalog.SQLiteCatalog`."""

from __future__ import annotations

import sqlite3

import orjson

from ocean.errors import NotFoundError
from ocean.store.audit import COLUMNS, AuditEntry, AuditFilter, entry_of, row_of, where
from ocean.store.blueprint_removal import refuse_deletion
from ocean.store.sqlite.catalog import SQLiteCatalog
from ocean.store.writes import dumps

_INSERT = f"INSERT INTO audit_log({COLUMNS}) VALUES ({', '.join('?' * 12)})"


def record(catalog: SQLiteCatalog, entries: list[AuditEntry]) -> None:
    def write(db: sqlite3.Connection) -> None:
        db.executemany(_INSERT, [row_of(entry, dumps) for entry in entries])

    if entries:
        catalog.in_transaction(write)


def query(catalog: SQLiteCatalog, wanted: AuditFilter) -> list[AuditEntry]:
    clause, params = where(wanted, lambda _: "?")
    sql = f"SELECT {COLUMNS} FROM audit_log{clause} ORDER BY seq DESC LIMIT ?"

    def read(db: sqlite3.Connection) -> list[AuditEntry]:
        return [entry_of(row, orjson.loads) for row in db.execute(sql, [*params, wanted.limit])]

    return catalog.in_transaction(read)


def prune(catalog: SQLiteCatalog, before: str, most: int) -> int:
    """Delete at most ``most`` entries stamped before ``before``, the oldest first."""
    sql = (
        "DELETE FROM audit_log WHERE seq IN "
        "(SELECT seq FROM audit_log WHERE at < ? ORDER BY at LIMIT ?)"
    )
    return catalog.in_transaction(lambda db: db.execute(sql, (before, most)).rowcount)


def delete_blueprint(catalog: SQLiteCatalog, identifier: str) -> None:
    """Delete a blueprint that has no entities and that no other blueprint relates to."""

    def remove(db: sqlite3.Connection) -> None:
        if (
            db.execute("SELECT 1 FROM blueprints WHERE identifier = ?", (identifier,)).fetchone()
            is None
        ):
            raise NotFoundError(f"blueprint {identifier!r} does not exist")
        (count,) = db.execute(
            "SELECT count(*) FROM entities WHERE blueprint = ?", (identifier,)
        ).fetchone()
        bodies = db.execute(
            "SELECT identifier, body FROM blueprints WHERE identifier != ?", (identifier,)
        )
        refuse_deletion(identifier, int(count), {bp: orjson.loads(body) for bp, body in bodies})
        db.execute("DELETE FROM blueprints WHERE identifier = ?", (identifier,))

    catalog.in_transaction(remove)  # the count of blueprint changes moves: writes read it
