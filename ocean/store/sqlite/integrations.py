"""Integration records and resync requests in the embedded catalog (``ocean catalog
resync``, the catalog server's integration routes), beside :mod:`ocean.store.sqlite.catalog`."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from typing import Any

import orjson

from ocean.store.base import now_iso
from ocean.store.sqlite.catalog import SQLiteCatalog
from ocean.store.writes import dumps


def request_resync(catalog: SQLiteCatalog, integration: str) -> str:
    """Ask ``integration`` to resync: the time asked."""
    stamp = now_iso()

    def write(db: sqlite3.Connection) -> None:
        db.execute(
            "INSERT INTO resync_requests(integration, requested_at) VALUES (?, ?) "
            "ON CONFLICT(integration) DO UPDATE SET requested_at = excluded.requested_at",
            (integration, stamp),
        )

    catalog.in_transaction(write)
    return stamp


def resync_requested_at(catalog: SQLiteCatalog, integration: str) -> str | None:
    def read(db: sqlite3.Connection) -> str | None:
        row = db.execute(
            "SELECT requested_at FROM resync_requests WHERE integration = ?", (integration,)
        ).fetchone()
        return None if row is None else str(row[0])

    return catalog.read(read)


def save(catalog: SQLiteCatalog, identifier: str, record: dict[str, Any]) -> None:
    def write(db: sqlite3.Connection) -> None:
        db.execute(
            "INSERT INTO integrations(identifier, body) VALUES (?, ?) "
            "ON CONFLICT(identifier) DO UPDATE SET body = excluded.body",
            (identifier, dumps(record)),
        )

    catalog.in_transaction(write)


def update(
    catalog: SQLiteCatalog,
    identifier: str,
    change: Callable[[dict[str, Any] | None], dict[str, Any] | None],
) -> dict[str, Any] | None:
    """The record ``change`` makes of the stored one (None: none), kept in the same write
    transaction (``BEGIN IMMEDIATE``: no other writer between the read and the write)."""

    def write(db: sqlite3.Connection) -> dict[str, Any] | None:
        found = db.execute("SELECT body FROM integrations WHERE identifier = ?", (identifier,))
        row = found.fetchone()
        record = change(None if row is None else dict(orjson.loads(row[0])))
        if record is not None:
            db.execute(
                "INSERT INTO integrations(identifier, body) VALUES (?, ?) "
                "ON CONFLICT(identifier) DO UPDATE SET body = excluded.body",
                (identifier, dumps(record)),
            )
        return record

    return catalog.in_transaction(write)


def get(catalog: SQLiteCatalog, identifier: str) -> dict[str, Any] | None:
    def read(db: sqlite3.Connection) -> dict[str, Any] | None:
        row = db.execute("SELECT body FROM integrations WHERE identifier = ?", (identifier,))
        found = row.fetchone()
        return None if found is None else dict(orjson.loads(found[0]))

    return catalog.read(read)


def delete(catalog: SQLiteCatalog, identifier: str) -> bool:
    """Delete the record and the cursors of ``identifier``: whether it had a record."""

    def write(db: sqlite3.Connection) -> bool:
        db.execute("DELETE FROM cursors WHERE integration = ?", (identifier,))
        gone = db.execute("DELETE FROM integrations WHERE identifier = ?", (identifier,))
        return gone.rowcount > 0

    return catalog.in_transaction(write)
