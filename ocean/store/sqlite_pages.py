"""The embedded catalog's page records (:class:`~ocean.store.base.RemembersPages`), run on
the store's thread like the rest of :class:`~ocean.store.sqlite_catalog.SQLiteCatalog`."""

from __future__ import annotations

import sqlite3

import orjson

from ocean.store.base import PageRecord
from ocean.store.page_records import decoded, encoded, still_valid, wanted_keys
from ocean.types import EntityKey

_CHUNK = 2000
_OWNED_VERSIONS = (
    "SELECT json_group_array(json_array(e.blueprint, e.identifier, e.version)) FROM json_each(?1) k "
    "JOIN entities e ON e.blueprint = k.value->>0 AND e.identifier = k.value->>1 "
    "WHERE EXISTS (SELECT 1 FROM ownership o "
    "WHERE o.owner = ?2 AND o.blueprint = e.blueprint AND o.identifier = e.identifier)"
)


def recall(db: sqlite3.Connection, owner: str, slot: str, fingerprint: str) -> list[PageRecord]:
    """The records of ``slot`` under ``fingerprint`` whose entities ``owner`` still owns,
    unwritten since they were stamped."""
    rows = db.execute(
        "SELECT digest, stamp, record FROM resync_pages "
        "WHERE owner = ? AND slot = ? AND fingerprint = ?",
        (owner, slot, fingerprint),
    ).fetchall()
    records = [decoded(*row) for row in rows]
    return still_valid(records, _owned_versions(db, owner, wanted_keys(records)))


def remember(
    db: sqlite3.Connection, owner: str, slot: str, fingerprint: str, records: list[PageRecord]
) -> None:
    """Replace the records of ``slot`` (call inside a write transaction)."""
    db.execute("DELETE FROM resync_pages WHERE owner = ? AND slot = ?", (owner, slot))
    db.executemany(
        "INSERT INTO resync_pages(owner, slot, digest, fingerprint, stamp, record) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        [(owner, slot, r.digest, fingerprint, r.stamp, encoded(r)) for r in records],
    )


def _owned_versions(
    db: sqlite3.Connection, owner: str, keys: list[EntityKey]
) -> dict[EntityKey, int]:
    found: dict[EntityKey, int] = {}
    for start in range(0, len(keys), _CHUNK):
        chunk = orjson.dumps(keys[start : start + _CHUNK])
        (rows,) = db.execute(_OWNED_VERSIONS, (chunk, owner)).fetchone()  # one step, one GIL hop
        found.update(((bp, ident), version) for bp, ident, version in orjson.loads(rows))
    return found
