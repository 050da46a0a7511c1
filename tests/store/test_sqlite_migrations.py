"""Catalog files written by earlier versions open with everything they held."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from ocean.store.migrations import MIGRATIONS, migrate


def _catalog_at(path: Path, version: int) -> sqlite3.Connection:
    db = sqlite3.connect(path, isolation_level=None)
    for number, script in enumerate(MIGRATIONS[:version], start=1):
        db.executescript(f"BEGIN; {script} PRAGMA user_version = {number}; COMMIT;")
    return db


def test_edges_kept_by_source_are_kept_by_target_after_the_upgrade(tmp_path: Path) -> None:
    db = _catalog_at(tmp_path / "catalog.db", 7)
    db.execute(
        "INSERT INTO relations(blueprint, identifier, relation, target_blueprint, target) "
        "VALUES ('service', 'a', 'team', 'team', 'core'), ('service', 'b', 'team', 'team', 'core')"
    )

    migrate(db)

    rows = db.execute(
        "SELECT target_blueprint, target, blueprint, identifier, relation FROM relations "
        "WHERE (target_blueprint, target) = ('team', 'core')"
    ).fetchall()
    assert rows == [
        ("team", "core", "service", "a", "team"),
        ("team", "core", "service", "b", "team"),
    ]
    assert db.execute("PRAGMA user_version").fetchone() == (len(MIGRATIONS),)
