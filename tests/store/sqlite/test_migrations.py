"""Catalog files written by earlier versions open with everything they held."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from ocean.store.sqlite.catalog import SQLiteCatalog
from ocean.store.sqlite.migrations import MIGRATIONS, migrate
from ocean.store.sqlite.spawn import child_environment


def _catalog_at(path: Path, version: int) -> sqlite3.Connection:
    db = sqlite3.connect(path, isolation_level=None)
    for number, script in enumerate(MIGRATIONS[:version], start=1):
        db.executescript(f"BEGIN; {script} PRAGMA user_version = {number}; COMMIT;")
    return db


UPGRADES = [
    pytest.param(
        7,
        "INSERT INTO relations(blueprint, identifier, relation, target_blueprint, target) "
        "VALUES ('service', 'a', 'team', 'team', 'core'), ('service', 'b', 'team', 'team', 'core')",
        "SELECT target_blueprint, target, blueprint, identifier, relation FROM relations "
        "WHERE (target_blueprint, target) = ('team', 'core')",
        [("team", "core", "service", "a", "team"), ("team", "core", "service", "b", "team")],
        id="edges-kept-by-target",
    ),
    pytest.param(
        8,
        "INSERT INTO ownership(owner, blueprint, identifier, datasource) VALUES "
        "('gh/1/exporter', 'service', 'a', 'port-ocean/gh/1.0/1/exporter'), "
        "('gh/1/exporter', 'service', 'b', 'port-ocean/gh/1.0/1/exporter'), "
        "('jira/2/exporter', 'service', 'a', 'port-ocean/jira/2.0/2/exporter')",
        "SELECT w.key, w.datasource, o.blueprint, o.identifier "
        "FROM ownership o JOIN owners w ON w.id = o.owner ORDER BY w.key, o.identifier",
        [
            ("gh/1/exporter", "port-ocean/gh/1.0/1/exporter", "service", "a"),
            ("gh/1/exporter", "port-ocean/gh/1.0/1/exporter", "service", "b"),
            ("jira/2/exporter", "port-ocean/jira/2.0/2/exporter", "service", "a"),
        ],
        id="owners-named-once",
    ),
    pytest.param(
        10,
        "INSERT INTO entities(blueprint, identifier, body, created_at, updated_at, version) "
        "VALUES ('service', 'b', '{}', 't1', 't2', 3), ('service', 'a', '{\"title\":\"A\"}', 't1', 't1', 1)",
        "SELECT blueprint, identifier, body, created_at, updated_at, version FROM entities "
        "WHERE (blueprint, identifier) IN (('service', 'a'), ('service', 'b')) ORDER BY identifier",
        [("service", "a", '{"title":"A"}', "t1", "t1", 1), ("service", "b", "{}", "t1", "t2", 3)],
        id="entities-in-a-rowid-table",
    ),
]


@pytest.mark.parametrize(("version", "written", "read", "expected"), UPGRADES)
def test_what_an_older_catalog_held_is_read_after_the_upgrade(
    tmp_path: Path, version: int, written: str, read: str, expected: list[tuple[object, ...]]
) -> None:
    db = _catalog_at(tmp_path / "catalog.db", version)
    db.execute(written)

    migrate(db)

    assert db.execute(read).fetchall() == expected
    assert db.execute("PRAGMA user_version").fetchone() == (len(MIGRATIONS),)


def test_entity_keys_stay_unique_after_the_upgrade(tmp_path: Path) -> None:
    db = _catalog_at(tmp_path / "catalog.db", 10)
    migrate(db)
    insert = "INSERT INTO entities(blueprint, identifier, body, created_at, updated_at) VALUES (?, ?, '{}', 't', 't')"
    db.execute(insert, ("service", "a"))

    with pytest.raises(sqlite3.IntegrityError, match="UNIQUE"):
        db.execute(insert, ("service", "a"))


def test_every_blueprint_change_is_counted_whichever_connection_makes_it(tmp_path: Path) -> None:
    path = tmp_path / "catalog.db"
    counting = next(n for n, script in enumerate(MIGRATIONS) if "blueprint_changes" in script)
    older = _catalog_at(path, counting)  # the migration before the count's
    older.execute("INSERT INTO blueprints VALUES ('team', '{}', 't', 't')")
    migrate(older)
    other = sqlite3.connect(path, isolation_level=None)
    counts = [older.execute("SELECT n FROM blueprint_changes").fetchone()[0]]

    for change in (
        "INSERT INTO blueprints VALUES ('svc', '{}', 't', 't')",
        "UPDATE blueprints SET body = '{\"title\":\"S\"}' WHERE identifier = 'svc'",
        "DELETE FROM blueprints WHERE identifier = 'svc'",
    ):
        other.execute(change)
        counts.append(older.execute("SELECT n FROM blueprint_changes").fetchone()[0])

    assert counts == [0, 1, 2, 3]


def test_a_new_catalog_has_8_kib_pages_and_an_older_file_keeps_its_own(tmp_path: Path) -> None:
    older = tmp_path / "older.db"
    with sqlite3.connect(older) as made:  # 4 KiB pages, as Ocean wrote them before
        made.execute("PRAGMA page_size = 4096")
    _catalog_at(older, len(MIGRATIONS)).close()
    sizes = {}
    for path in (tmp_path / "new.db", older):
        catalog = SQLiteCatalog(path)
        (sizes[path.name],) = catalog.read(lambda db: db.execute("PRAGMA page_size").fetchone())
        catalog.close()

    assert sizes == {"new.db": 8192, "older.db": 4096}


def test_page_records_written_before_their_final_form_are_dropped_and_the_table_takes_new_ones(
    tmp_path: Path,
) -> None:
    """Catalogs made between migration 7's first and final form kept a ``stamp`` column
    that every later write left null (each failed) and records of ``keys`` without
    ``entries`` (each held for any catalog): the records of today's form stay, the others
    go, and today's writes are taken."""
    db = _catalog_at(tmp_path / "catalog.db", len(MIGRATIONS) - 1)
    db.executescript(
        "DROP TABLE resync_pages; CREATE TABLE resync_pages (owner TEXT NOT NULL, "
        "slot TEXT NOT NULL, digest BLOB NOT NULL, fingerprint TEXT NOT NULL, "
        "record TEXT NOT NULL, stamp TEXT NOT NULL, PRIMARY KEY (owner, slot, digest)) "
        "WITHOUT ROWID; INSERT INTO resync_pages VALUES "
        "('o', 'r0', x'01', 'f', '{\"keys\":[[\"svc\",\"a\"]]}', 's'), "
        "('o', 'r0', x'02', 'f', '{\"entries\":[[\"svc\",\"b\",1]],\"counts\":{}}', 's'), "
        "('o', 'r0', x'03', 'f', 'not json', 's');"
    )

    migrate(db)

    assert db.execute("SELECT hex(digest) FROM resync_pages").fetchall() == [("02",)]
    db.execute(
        "INSERT INTO resync_pages(owner, slot, digest, fingerprint, record) "
        "VALUES ('o', 'r0', x'04', 'f', '{\"entries\":[]}')"
    )
    assert db.execute("SELECT count(*) FROM resync_pages").fetchone() == (2,)


_OPEN_WITH_A_FULL_DISK = """
import asyncio, os, resource, signal, sys
from pathlib import Path
from ocean.store.sqlite.store import SQLiteStore
path = Path(sys.argv[1])
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails, as on a full disk
room = os.path.getsize(path) // 2  # the migration's log needs about the file's size
resource.setrlimit(resource.RLIMIT_FSIZE, (room, resource.RLIM_INFINITY))
try:
    asyncio.run(SQLiteStore.open(path))
except Exception as error:
    print(type(error).__name__, error)
"""


@pytest.mark.skipif(sys.platform == "win32", reason="no file size limit to stand for a full disk")
def test_a_migration_the_disk_cannot_hold_fails_naming_the_disk_and_a_later_open_finishes_it(
    tmp_path: Path,
) -> None:
    path = tmp_path / "catalog.db"
    db = _catalog_at(path, len(MIGRATIONS) - 1)  # the last migration copies the page records
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("BEGIN")
    db.executemany(
        "INSERT INTO resync_pages VALUES ('o', 's', ?, 'f', '{\"entries\":[]}')",
        [(n.to_bytes(4, "big"),) for n in range(40_000)],
    )
    db.execute("COMMIT")
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()

    opened = subprocess.run(
        [sys.executable, "-c", _OPEN_WITH_A_FULL_DISK, str(path)],
        capture_output=True, text=True, timeout=60, env=child_environment(),
    )  # fmt: skip

    said = opened.stdout + opened.stderr
    assert said.startswith(
        f"CatalogUnavailableError cannot open the catalog {path}: disk I/O error"
    ), said
    catalog = SQLiteCatalog(path)  # with room again
    kept = catalog.read(lambda db: db.execute("SELECT count(*) FROM resync_pages").fetchone())
    catalog.close()
    assert kept == (40_000,)
