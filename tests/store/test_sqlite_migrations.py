"""Catalog files written by earlier versions open with everything they held."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

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


def test_ownership_keeps_its_owners_and_datasources_after_the_upgrade(tmp_path: Path) -> None:
    db = _catalog_at(tmp_path / "catalog.db", 8)
    db.execute(
        "INSERT INTO ownership(owner, blueprint, identifier, datasource) VALUES "
        "('gh/1/exporter', 'service', 'a', 'port-ocean/gh/1.0/1/exporter'), "
        "('gh/1/exporter', 'service', 'b', 'port-ocean/gh/1.0/1/exporter'), "
        "('jira/2/exporter', 'service', 'a', 'port-ocean/jira/2.0/2/exporter')"
    )

    migrate(db)

    rows = db.execute(
        "SELECT w.key, w.datasource, o.blueprint, o.identifier "
        "FROM ownership o JOIN owners w ON w.id = o.owner ORDER BY w.key, o.identifier"
    ).fetchall()
    assert rows == [
        ("gh/1/exporter", "port-ocean/gh/1.0/1/exporter", "service", "a"),
        ("gh/1/exporter", "port-ocean/gh/1.0/1/exporter", "service", "b"),
        ("jira/2/exporter", "port-ocean/jira/2.0/2/exporter", "service", "a"),
    ]


def test_entities_keep_their_bodies_versions_and_unique_keys_after_the_upgrade(
    tmp_path: Path,
) -> None:
    db = _catalog_at(tmp_path / "catalog.db", 10)
    db.execute(
        "INSERT INTO entities(blueprint, identifier, body, created_at, updated_at, version) "
        "VALUES ('service', 'b', '{}', 't1', 't2', 3), ('service', 'a', '{\"title\":\"A\"}', 't1', 't1', 1)"
    )

    migrate(db)

    rows = db.execute(
        "SELECT blueprint, identifier, body, created_at, updated_at, version FROM entities "
        "WHERE (blueprint, identifier) IN (('service', 'a'), ('service', 'b')) ORDER BY identifier"
    ).fetchall()
    assert rows == [
        ("service", "a", '{"title":"A"}', "t1", "t1", 1),
        ("service", "b", "{}", "t1", "t2", 3),
    ]
    with pytest.raises(sqlite3.IntegrityError, match="UNIQUE"):
        db.execute(
            "INSERT INTO entities(blueprint, identifier, body, created_at, updated_at) "
            "VALUES ('service', 'a', '{}', 't', 't')"
        )
