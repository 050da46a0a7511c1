"""The embedded catalog's incremental-sync cursors (:class:`~ocean.store.base.KeepsCursors`),
run on the catalog's thread or process like the rest of
:class:`~ocean.store.sqlite.catalog.SQLiteCatalog`."""

from __future__ import annotations

import sqlite3

from ocean.store.base import now_iso
from ocean.store.sqlite.catalog import SQLiteCatalog

_READ = "SELECT value FROM cursors WHERE integration = ? AND kind = ? AND idx = ?"
_SAVE = (
    "INSERT INTO cursors(integration, kind, idx, value, updated_at) VALUES (?, ?, ?, ?, ?) "
    "ON CONFLICT(integration, kind, idx) DO UPDATE SET value = excluded.value, "
    "updated_at = excluded.updated_at"
)


def get(catalog: SQLiteCatalog, integration: str, kind: str, index: int) -> str | None:
    def read(db: sqlite3.Connection) -> str | None:
        row = db.execute(_READ, (integration, kind, index)).fetchone()
        return None if row is None else str(row[0])

    return catalog.in_transaction(read)


def save(catalog: SQLiteCatalog, integration: str, kind: str, index: int, value: str) -> None:
    def write(db: sqlite3.Connection) -> None:
        db.execute(_SAVE, (integration, kind, index, value, now_iso()))

    catalog.in_transaction(write)
