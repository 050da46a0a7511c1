"""The embedded catalog under concurrent writers, a killed writer, and the query planner."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import asyncpg
import pytest

from ocean.store.base import Owner, Store
from ocean.store.open import open_store
from ocean.store.postgres.produced import OWNED_PAGE as POSTGRES_OWNED_PAGE
from ocean.store.postgres.search import prefilter as postgres_prefilter
from ocean.store.postgres.store import PostgresStore
from ocean.store.sqlite.catalog import DISOWN, OWNED_PAGE, page_query
from ocean.store.sqlite.search import DATASOURCES, prefilter
from ocean.store.sqlite.store import SQLiteStore

OWNER = Owner("github", "gh-1", "1.0.0")
THING = {
    "identifier": "thing",
    "title": "Thing",
    "schema": {
        "properties": {"a": {"type": "number"}, "b": {"type": "number"}, "v": {"type": "number"}}
    },
    "relations": {},
}


async def test_two_writers_never_lose_an_update(tmp_path: Path) -> None:
    path = tmp_path / "c.db"
    first, second = await SQLiteStore.open(path), await SQLiteStore.open(path)
    await first.create_blueprints([THING])

    async def write(store: SQLiteStore, field: str) -> None:
        for round_ in range(1, 21):
            batch = [
                {"identifier": f"t{i}", "blueprint": "thing", "properties": {field: round_}}
                for i in range(200)
            ]
            outcomes = await store.upsert_entities(batch, owner=OWNER, merge=True)  # type: ignore[arg-type]
            assert all(outcome.ok for outcome in outcomes)

    await asyncio.gather(write(first, "a"), write(second, "b"))

    stored = await first.get_entities("thing", [f"t{i}" for i in range(200)])
    await first.close()
    await second.close()
    assert {tuple(sorted(e["properties"].items())) for e in stored.values()} == {
        (("a", 20), ("b", 20))
    }


WRITER = """
import asyncio, sys
from ocean.store.base import Owner
from ocean.store.open import open_store

async def main():
    store = await open_store(sys.argv[1])
    version = 0
    while True:
        version += 1
        batch = [{"identifier": f"t{i}", "blueprint": "thing", "title": f"v{version}",
                  "properties": {"v": version}} for i in range(2000)]
        await store.upsert_entities(batch, owner=Owner("github", "gh-1"), merge=True)
        print(version, flush=True)

asyncio.run(main())
"""


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
async def test_a_killed_writer_leaves_every_entity_whole_and_the_next_sync_converges(
    tmp_path: Path, postgres_url: str, backend: str
) -> None:
    url = str(tmp_path / "c.db") if backend == "sqlite" else postgres_url
    store = await open_store(url)
    await store.create_blueprints([THING])
    await store.close()
    writer = subprocess.Popen(
        [sys.executable, "-c", WRITER, url], stdout=subprocess.PIPE, text=True
    )
    assert writer.stdout is not None
    while int(writer.stdout.readline() or 0) < 3:
        pass
    time.sleep(0.05)  # somewhere inside a later batch
    os.kill(writer.pid, signal.SIGKILL)
    writer.wait()
    writer.stdout.close()

    store = await open_store(url)
    stored = await store.get_entities("thing", [f"t{i}" for i in range(2000)])
    assert len(stored) == 2000
    assert all(e["title"] == f"v{e['properties']['v']}" for e in stored.values())
    assert len({e["properties"]["v"] for e in stored.values()}) == 1  # one batch, one transaction
    final = [
        {"identifier": f"t{i}", "blueprint": "thing", "title": "v0", "properties": {"v": 0}}
        for i in range(2000)
    ]
    await store.upsert_entities(final, owner=OWNER, merge=True)  # type: ignore[arg-type]
    again = await store.get_entities("thing", ["t0", "t1999"])
    await store.close()
    assert {e["title"] for e in again.values()} == {"v0"}


def _plan(path: Path, sql: str, params: list[object]) -> str:
    with contextlib.closing(sqlite3.connect(path)) as db:
        return " | ".join(row[3] for row in db.execute(f"EXPLAIN QUERY PLAN {sql}", params))


async def test_identifier_and_ownership_queries_use_indexes(sqlite_store: SQLiteStore) -> None:
    identifiers = {
        "combinator": "and",
        "rules": [{"property": "$identifier", "operator": "in", "value": ["a", "b"]}],
    }
    both = {
        "combinator": "and",
        "rules": [
            *identifiers["rules"],
            {"property": "$blueprint", "operator": "=", "value": "thing"},
        ],
    }
    plans = {}
    for name, query in (("identifiers", identifiers), ("identifiers+blueprint", both)):
        where, params = prefilter(query)
        plans[name] = _plan(sqlite_store.path, f"SELECT * FROM entities e{where}", params)
    plans["ownership"] = _plan(sqlite_store.path, OWNED_PAGE, [OWNER.key, None, "", "", 10])
    plans["disown"] = _plan(sqlite_store.path, DISOWN, ["[]"])
    plans["datasources"] = _plan(sqlite_store.path, f"SELECT 1{DATASOURCES} FROM entities e", [])
    plans["page"] = _plan(sqlite_store.path, *page_query("thing", ("thing", "t5"), 10))

    for name in ("identifiers", "identifiers+blueprint"):
        assert "USING INDEX entities_by_key (blueprint=? AND identifier=?)" in plans[name]
    assert "SEARCH o USING PRIMARY KEY (owner=?" in plans["ownership"]
    key_seek = "PRIMARY KEY (owner=? AND blueprint=? AND identifier=?)"
    assert key_seek in plans["disown"] and key_seek in plans["datasources"]
    assert "USING INDEX entities_by_key (blueprint=? AND identifier>?)" in plans["page"]


async def test_ownership_pages_with_a_cursor(store: Store) -> None:
    await store.create_blueprints([THING])
    await store.upsert_entities(
        [{"identifier": f"t{i:03d}", "blueprint": "thing"} for i in range(25)],
        owner=OWNER,
        merge=True,
    )  # type: ignore[misc]

    pages, cursor = [], None
    while True:
        keys, cursor = await store.owned_page(OWNER, after=cursor, limit=10)
        pages.append(keys)
        if cursor is None:
            break

    assert [len(page) for page in pages] == [10, 10, 5]
    assert [k for page in pages for k in page] == [("thing", f"t{i:03d}") for i in range(25)]


async def test_two_writers_never_lose_an_update_on_postgresql(postgres_url: str) -> None:
    first, second = await PostgresStore.open(postgres_url), await PostgresStore.open(postgres_url)
    await first.create_blueprints([THING])

    async def write(store: PostgresStore, field: str) -> None:
        for round_ in range(1, 11):
            batch = [
                {"identifier": f"t{i}", "blueprint": "thing", "properties": {field: round_}}
                for i in range(200)
            ]
            assert all(o.ok for o in await store.upsert_entities(batch, owner=OWNER, merge=True))  # type: ignore[arg-type]

    await asyncio.gather(write(first, "a"), write(second, "b"))

    stored = await first.get_entities("thing", [f"t{i}" for i in range(200)])
    await first.close()
    await second.close()
    assert {tuple(sorted(e["properties"].items())) for e in stored.values()} == {
        (("a", 10), ("b", 10))
    }


async def test_postgresql_identifier_and_ownership_queries_use_indexes(postgres_url: str) -> None:
    store = await PostgresStore.open(postgres_url)
    await store.close()
    schema = postgres_url.rsplit("schema=", 1)[1]
    connection = await asyncpg.connect(
        postgres_url.split("?")[0], server_settings={"search_path": schema}
    )
    await connection.execute("SET enable_seqscan = off")
    where, params = postgres_prefilter(
        {
            "combinator": "and",
            "rules": [
                {"property": "$identifier", "operator": "in", "value": ["a", "b"]},
                {"property": "$blueprint", "operator": "=", "value": "thing"},
            ],
        }
    )
    alone, only = postgres_prefilter(
        {
            "combinator": "and",
            "rules": [{"property": "$identifier", "operator": "in", "value": ["a", "b"]}],
        }
    )
    plans = {
        "identifiers": await connection.fetch(f"EXPLAIN SELECT * FROM entities e{where}", *params),
        "identifiers-only": await connection.fetch(
            f"EXPLAIN SELECT * FROM entities e{alone}", *only
        ),
        "ownership": await connection.fetch(
            f"EXPLAIN {POSTGRES_OWNED_PAGE}", OWNER.key, None, "", "", 10
        ),
    }
    await connection.close()
    text = {name: " ".join(row[0] for row in rows) for name, rows in plans.items()}
    for name in ("identifiers", "identifiers-only"):
        assert "Index" in text[name] and "entities_pkey" in text[name]
    assert "ownership_pkey" in text["ownership"]
