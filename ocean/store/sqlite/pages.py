"""The embedded catalog's page records (:class:`~ocean.store.base.RemembersPages`), run on
the store's thread like the rest of :class:`~ocean.store.sqlite.catalog.SQLiteCatalog`."""

from __future__ import annotations

import sqlite3

import orjson

from ocean.store.base import PageRecord
from ocean.store.page_records import EncodedRecord, from_body

# A record holds while every entity it names is still at the version it recorded; SQLite
# checks that in one statement, without a row per entity crossing into Python. Ownership
# needs no check of its own: an entity leaves its owners only when it is deleted, and any
# other writer gives it a new version. (An entity the page left unchanged without owning
# it is skipped as it would be written: unchanged, still not owned.)
# The records come back as one JSON array (one step): a row each would take the GIL back
# from the event loop's thread once per record while the handler is producing pages.
_VALID = (
    "SELECT json_group_array(json_array(hex(p.digest), json(p.record))) FROM resync_pages p "
    "WHERE p.owner = ?1 AND p.slot = ?2 AND p.fingerprint = ?3 AND NOT EXISTS ("
    "SELECT 1 FROM json_each(p.record, '$.entries') k WHERE NOT EXISTS ("
    "SELECT 1 FROM entities e WHERE e.blueprint = k.value->>0 AND e.identifier = k.value->>1 "
    "AND e.version = k.value->>2))"
)


def recall(db: sqlite3.Connection, owner: str, slot: str, fingerprint: str) -> list[PageRecord]:
    """The records ``owner`` kept of ``slot`` under ``fingerprint`` whose entities are still
    at the versions recorded."""
    (found,) = db.execute(_VALID, (owner, slot, fingerprint)).fetchone()
    return [from_body(bytes.fromhex(digest), body) for digest, body in orjson.loads(found)]


def remember(
    db: sqlite3.Connection, owner: str, slot: str, fingerprint: str, records: list[EncodedRecord]
) -> None:
    """Replace the records of ``slot`` (call inside a write transaction)."""
    db.execute("DELETE FROM resync_pages WHERE owner = ? AND slot = ?", (owner, slot))
    db.executemany(
        "INSERT INTO resync_pages(owner, slot, digest, fingerprint, record) VALUES (?, ?, ?, ?, ?)",
        [(owner, slot, digest, fingerprint, text) for digest, text in records],
    )
