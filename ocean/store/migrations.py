"""Versioned schema migrations for the SQLite catalog, applied in order on open."""

from __future__ import annotations

import sqlite3

MIGRATIONS: list[str] = [
    """
    CREATE TABLE blueprints (
        identifier TEXT PRIMARY KEY,
        body BLOB NOT NULL,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
    );
    CREATE TABLE entities (
        blueprint TEXT NOT NULL,
        identifier TEXT NOT NULL,
        body TEXT NOT NULL,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        PRIMARY KEY (blueprint, identifier)
    ) WITHOUT ROWID;
    CREATE TABLE ownership (
        owner TEXT NOT NULL,
        blueprint TEXT NOT NULL,
        identifier TEXT NOT NULL,
        datasource TEXT NOT NULL,
        PRIMARY KEY (owner, blueprint, identifier)
    ) WITHOUT ROWID;
    CREATE INDEX ownership_by_entity ON ownership(blueprint, identifier);
    CREATE TABLE runs (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        integration TEXT NOT NULL,
        trigger TEXT NOT NULL,
        started_at TEXT NOT NULL,
        ended_at TEXT,
        status TEXT NOT NULL,
        report BLOB NOT NULL
    );
    """,
]


def migrate(connection: sqlite3.Connection) -> None:
    """Bring the schema to the latest version; each migration runs in its own transaction."""
    (version,) = connection.execute("PRAGMA user_version").fetchone()
    if version == 0:
        connection.execute("PRAGMA page_size = 16384")  # entity rows are often kilobytes
    for number, script in enumerate(MIGRATIONS[version:], start=version + 1):
        connection.executescript(f"BEGIN; {script} PRAGMA user_version = {number}; COMMIT;")
