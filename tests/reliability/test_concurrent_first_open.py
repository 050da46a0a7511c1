"""Several processes opening a catalog that does not exist yet all get it, migrated once."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ocean.store.postgres.store import PostgresStore
from ocean.store.sqlite.migrations import MIGRATIONS, statements

OPENER = """
import sys, time
from pathlib import Path
from ocean.store.sqlite.catalog import SQLiteCatalog
start = float(sys.argv[2])
time.sleep(max(0.0, start - time.time()))
catalog = SQLiteCatalog(Path(sys.argv[1]))
print(catalog.list_blueprints())
catalog.close()
"""


@pytest.mark.parametrize("round_", range(4))
def test_processes_opening_a_new_sqlite_catalog_at_once_all_succeed(
    tmp_path: Path, round_: int
) -> None:
    path = tmp_path / f"catalog-{round_}.db"
    start = time.time() + 1.5  # every interpreter is up and waiting by then
    openers = [
        subprocess.Popen(
            [sys.executable, "-c", OPENER, str(path), str(start)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(6)
    ]
    results = [opener.communicate(timeout=60) for opener in openers]

    failures = [err for (_, err), o in zip(results, openers, strict=True) if o.returncode]
    assert not failures, failures[0]
    assert all(out.strip() == "[]" for out, _ in results)


async def test_concurrent_first_opens_of_a_postgres_schema_all_succeed(postgres_url: str) -> None:
    stores = await asyncio.gather(*(PostgresStore.open(postgres_url) for _ in range(6)))
    try:
        assert [await store.list_blueprints() for store in stores] == [[]] * len(stores)
    finally:
        await asyncio.gather(*(store.close() for store in stores))


@pytest.mark.parametrize("number", range(len(MIGRATIONS)))
def test_every_migration_splits_into_complete_statements(number: int) -> None:
    assert statements(MIGRATIONS[number])
