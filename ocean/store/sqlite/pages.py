"""The embedded catalog's page records (:class:`~ocean.store.base.RemembersPages` and
:class:`~ocean.store.page_records.ClaimsPages`), run on the catalog's thread or process
like the rest of :class:`~ocean.store.sqlite.catalog.SQLiteCatalog`."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from typing import Protocol, TypeVar

import orjson

from ocean.store.base import PageRecord
from ocean.store.page_records import (
    ClaimedPage,
    EncodedRecord,
    PageShelf,
    claimed,
    encoded,
    from_body,
)

T = TypeVar("T")

# A record holds while every entity it names is still at the version it recorded; SQLite
# checks that in one statement, without a row per entity crossing into Python. Ownership
# needs no check of its own: an entity leaves its owners only when it is deleted, and any
# other writer gives it a new version. (An entity the page left unchanged without owning
# it is skipped as it would be written: unchanged, still not owned.)
_HOLDS = (
    "NOT EXISTS (SELECT 1 FROM json_each(p.record, '$.entries') k WHERE NOT EXISTS ("
    "SELECT 1 FROM entities e WHERE e.blueprint = k.value->>0 AND e.identifier = k.value->>1 "
    "AND e.version = k.value->>2))"
)
# The records come back as one JSON array (one step): a row each would take the GIL back
# from the event loop's thread once per record while the handler is producing pages.
_VALID = (
    "SELECT json_group_array(json_array(hex(p.digest), json(p.record))) FROM resync_pages p "
    f"WHERE p.owner = ?1 AND p.slot = ?2 AND p.fingerprint = ?3 AND {_HOLDS}"
)
_CLAIM = (
    "SELECT json_object('n', json_array_length(p.record, '$.entries'), 'blueprints', "
    "coalesce(p.record->'$.blueprints', (SELECT json_group_array(DISTINCT value->>0) "
    "FROM json_each(p.record, '$.entries'))), 'counts', p.record->'$.counts', "
    "'misconfigured', p.record->'$.misconfigured') FROM resync_pages p "
    f"WHERE p.owner = ?1 AND p.slot = ?2 AND p.digest = ?3 AND p.fingerprint = ?4 AND {_HOLDS}"
)
_MARK_KEYS = (
    "INSERT OR IGNORE INTO resync_produced(run, blueprint, identifier) "
    "SELECT ?5, k.value->>0, k.value->>1 FROM resync_pages p, json_each(p.record, '$.entries') k "
    "WHERE p.owner = ?1 AND p.slot = ?2 AND p.digest = ?3 AND p.fingerprint = ?4"
)
_MARK_USED = "INSERT OR IGNORE INTO resync_produced(run, blueprint, identifier) VALUES (?, ?, ?)"
_KEEP = (
    "INSERT OR REPLACE INTO resync_pages(owner, slot, digest, fingerprint, record) "
    "VALUES (?, ?, ?, ?, ?)"
)
_UNUSED = (
    "DELETE FROM resync_pages WHERE owner = ?1 AND slot = ?2 AND hex(digest) NOT IN "
    "(SELECT identifier FROM resync_produced WHERE run = ?3 AND blueprint = ?2)"
)


class _Catalog(Protocol):
    """What these functions need of :class:`~ocean.store.sqlite.catalog.SQLiteCatalog`
    (which imports this module)."""

    def in_transaction(self, work: Callable[[sqlite3.Connection], T]) -> T: ...
    def read(self, work: Callable[[sqlite3.Connection], T]) -> T: ...


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


def holds(catalog: _Catalog, shelf: PageShelf) -> bool:
    def read(db: sqlite3.Connection) -> bool:
        params = (shelf.owner.key, shelf.slot, shelf.fingerprint)
        query = "SELECT 1 FROM resync_pages WHERE owner = ? AND slot = ? AND fingerprint = ?"
        return db.execute(f"{query} LIMIT 1", params).fetchone() is not None

    return catalog.read(read)


def claim(catalog: _Catalog, shelf: PageShelf, digests: list[bytes]) -> list[ClaimedPage]:
    """Each digest's record that holds, its keys marked under the run and it as used."""

    def write(db: sqlite3.Connection) -> list[ClaimedPage]:
        found: list[ClaimedPage] = []
        for digest in dict.fromkeys(digests):
            params = (shelf.owner.key, shelf.slot, digest, shelf.fingerprint)
            row = db.execute(_CLAIM, params).fetchone()
            if row is None:
                continue
            db.execute(_MARK_KEYS, (*params, shelf.run))
            db.execute(_MARK_USED, (shelf.used, shelf.slot, digest.hex().upper()))
            found.append(claimed(digest, row[0]))
        return found

    return catalog.in_transaction(write)


def keep(catalog: _Catalog, shelf: PageShelf, records: list[EncodedRecord]) -> None:
    def write(db: sqlite3.Connection) -> None:
        owner, slot, fingerprint = shelf.owner.key, shelf.slot, shelf.fingerprint
        db.executemany(_KEEP, [(owner, slot, d, fingerprint, text) for d, text in records])
        db.executemany(_MARK_USED, [(shelf.used, slot, d.hex().upper()) for d, _ in records])

    catalog.in_transaction(write)


def settle(catalog: _Catalog, shelf: PageShelf) -> None:
    def write(db: sqlite3.Connection) -> None:
        db.execute(_UNUSED, (shelf.owner.key, shelf.slot, shelf.used))

    catalog.in_transaction(write)


def encoded_records(records: list[PageRecord]) -> list[EncodedRecord]:
    """Records as they cross to the catalog's process."""
    return [(record.digest, encoded(record)) for record in records]
