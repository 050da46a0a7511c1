"""The checkpoint thread: commits reach the database file without the writer copying them."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable
from pathlib import Path

from ocean.store.base import Owner
from ocean.store.entity_rules import EntityRules
from ocean.store.sqlite.catalog import SQLiteCatalog
from ocean.store.sqlite.checkpoint import Checkpointer
from ocean.store.sqlite.handover import CatalogHandover
from ocean.store.sqlite.store import SQLiteStore
from ocean.store.writes import prepare

OWNER = Owner("github", "gh-1")
TEAM = {"identifier": "team", "title": "Team", "schema": {"properties": {}}, "relations": {}}


def _writer(path: Path) -> sqlite3.Connection:
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA wal_autocheckpoint=0")  # this writer never copies the log itself
    db.execute("CREATE TABLE t (x TEXT)")
    return db


async def _until(condition: Callable[[], bool], seconds: float = 5.0) -> None:
    for _ in range(int(seconds / 0.01)):
        if condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("the condition never held")


async def test_a_kick_copies_the_log_into_the_database_file(tmp_path: Path) -> None:
    path = tmp_path / "c.db"
    db = _writer(path)
    db.executemany("INSERT INTO t VALUES (?)", [("x" * 1000,)] * 500)
    size_before = path.stat().st_size
    checkpointer = Checkpointer(path)
    checkpointer.start()

    checkpointer.kick()

    await _until(lambda: path.stat().st_size > size_before + 400_000)
    checkpointer.stop()
    db.close()


async def test_a_checkpointer_on_an_unreadable_path_leaves_the_writer_alone(
    tmp_path: Path,
) -> None:
    checkpointer = Checkpointer(tmp_path / "missing" / "c.db")
    checkpointer.start()
    checkpointer.kick()

    checkpointer.stop()  # returns: the thread gave up at once


async def test_the_store_closes_with_the_log_fully_copied(tmp_path: Path) -> None:
    path = tmp_path / "catalog.db"
    store = await SQLiteStore.open(path)
    await store.create_blueprints([TEAM])
    teams = [{"identifier": f"t{i}", "blueprint": "team", "title": "x" * 500} for i in range(2000)]
    await store.upsert_entities(teams, owner=OWNER, merge=True)

    await store.close()

    assert not path.with_name("catalog.db-wal").exists()
    reopened = await SQLiteStore.open(path)
    assert await reopened.count_entities() == {"team": 2000}
    await reopened.close()


async def test_only_bulk_writes_ask_for_a_checkpoint(tmp_path: Path) -> None:
    asked: list[int] = []
    catalog = SQLiteCatalog(tmp_path / "catalog.db", after_bulk=lambda: asked.append(1))
    catalog.create_blueprints([TEAM])
    options = {"merge": True, "only_changed": False, "create_missing_related": True}

    rules = {"team": EntityRules(TEAM)}
    one = prepare([{"identifier": "one", "blueprint": "team"}], rules)
    catalog.upsert_entities(one, OWNER, options)
    small = len(asked)
    teams = [{"identifier": f"t{i}", "blueprint": "team"} for i in range(1000)]
    catalog.upsert_entities(prepare(teams, rules), OWNER, options)
    catalog.close()

    assert (small, len(asked)) == (0, 1)


async def test_a_bulk_write_in_the_catalogs_process_reaches_the_file_while_open(
    tmp_path: Path,
) -> None:
    path = tmp_path / "catalog.db"
    host = await CatalogHandover.start(path)
    assert isinstance(host, CatalogHandover)
    store = SQLiteStore(host, path)
    try:
        await host.settled()
        await store.create_blueprints([TEAM])
        size_before = path.stat().st_size
        teams = [{"identifier": f"t{i}", "blueprint": "team", "title": "x" * 500} for i in range(2000)]  # fmt: skip

        await store.upsert_entities(teams, owner=OWNER, merge=True)

        assert host.where == "process"
        await _until(lambda: path.stat().st_size > size_before + 900_000)  # copied, still open
    finally:
        await store.close()
    assert not path.with_name("catalog.db-wal").exists()
