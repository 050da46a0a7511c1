"""The embedded catalog's server credentials (:class:`~ocean.store.credentials.KeepsCredentials`)
and the datasources of entities (:class:`~ocean.store.ownership.KnowsDatasources`), run on
the catalog's thread or process like the rest of
:class:`~ocean.store.sqlite.catalog.SQLiteCatalog`."""

from __future__ import annotations

import sqlite3

from ocean.store.base import now_iso
from ocean.store.credentials import (
    Credential,
    checked_role,
    new_credentials,
    new_secret,
    revoked,
    secret_hash,
    unknown,
)
from ocean.store.sqlite.catalog import SQLiteCatalog
from ocean.store.writes import PLACEHOLDER
from ocean.types import EntityKey

_COLUMNS = (
    "client_id, name, role, integration, secret_hash, version, created_at, revoked_at, migrated"
)
_INSERT = (
    "INSERT INTO credentials(client_id, name, role, integration, secret_hash, version, "
    "created_at, migrated) VALUES (?, ?, ?, ?, ?, 1, ?, 0)"
)
_ONE = f"SELECT {_COLUMNS} FROM credentials WHERE client_id = ?"
_EXISTS = (  # a placeholder is left out: anyone may write it (see writes.PLACEHOLDER)
    "SELECT 1 FROM entities WHERE blueprint = ? AND identifier = ? "
    f"AND substr(body, 1, {len(PLACEHOLDER)}) <> '{PLACEHOLDER}'"
)
# As the search's $datasource: one key seek per owner (ownership is keyed by owner first).
_OWNERS = (
    "SELECT w.datasource FROM owners w CROSS JOIN ownership o "
    "ON o.owner = w.id AND o.blueprint = ? AND o.identifier = ?"
)


def create(
    catalog: SQLiteCatalog, name: str, role: str, integration: str | None
) -> tuple[str, str]:
    role, integration = checked_role(role, integration)
    client_id, secret = new_credentials()
    hashed = secret_hash(client_id, secret)

    def write(db: sqlite3.Connection) -> None:
        db.execute(_INSERT, (client_id, name, role, integration, hashed, now_iso()))

    catalog.in_transaction(write)
    return client_id, secret


def get(catalog: SQLiteCatalog, client_id: str) -> Credential | None:
    """Read outside a write transaction: the server asks on every request."""
    return catalog.read(lambda db: _credential(db.execute(_ONE, (client_id,)).fetchone()))


def listed(catalog: SQLiteCatalog) -> list[Credential]:
    def read(db: sqlite3.Connection) -> list[Credential]:
        rows = db.execute(f"SELECT {_COLUMNS} FROM credentials ORDER BY created_at, client_id")
        return [c for c in map(_credential, rows) if c is not None]

    return catalog.read(read)


def revoke(catalog: SQLiteCatalog, client_id: str) -> Credential:
    def write(db: sqlite3.Connection) -> Credential:
        found = _credential(db.execute(_ONE, (client_id,)).fetchone())
        if found is None:
            raise unknown(client_id)
        if found.active:
            db.execute(
                "UPDATE credentials SET revoked_at = ? WHERE client_id = ?", (now_iso(), client_id)
            )
        return _credential(db.execute(_ONE, (client_id,)).fetchone()) or found

    return catalog.in_transaction(write)


def rotate(catalog: SQLiteCatalog, client_id: str) -> str:
    secret = new_secret()
    hashed = secret_hash(client_id, secret)

    def write(db: sqlite3.Connection) -> None:
        found = _credential(db.execute(_ONE, (client_id,)).fetchone())
        if found is None:
            raise unknown(client_id)
        if not found.active:
            raise revoked(found)
        db.execute(
            "UPDATE credentials SET secret_hash = ?, version = version + 1 WHERE client_id = ?",
            (hashed, client_id),
        )

    catalog.in_transaction(write)
    return secret


def datasources_of(catalog: SQLiteCatalog, keys: list[EntityKey]) -> dict[EntityKey, list[str]]:
    """The datasources of those of ``keys`` that exist (an empty list: no recorded
    writer), but placeholders."""

    def read(db: sqlite3.Connection) -> dict[EntityKey, list[str]]:
        found: dict[EntityKey, list[str]] = {}
        for key in dict.fromkeys(keys):
            if db.execute(_EXISTS, key).fetchone() is not None:
                found[key] = sorted(str(row[0]) for row in db.execute(_OWNERS, key))
        return found

    return catalog.read(read)


def _credential(row: tuple[object, ...] | None) -> Credential | None:
    if row is None:
        return None
    client_id, name, role, integration, hashed, version, created, revoked_at, migrated = row
    return Credential(
        client_id=str(client_id),
        name=str(name),
        role=str(role),
        integration=None if integration is None else str(integration),
        secret_hash=str(hashed),
        version=int(str(version)),
        created_at=str(created),
        revoked_at=None if revoked_at is None else str(revoked_at),
        migrated=bool(migrated),
    )
