"""A catalog migrated by a newer Ocean is refused at open, on either backend, with what to
do; nothing in it changes."""

from __future__ import annotations

import pickle
import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from ocean.errors import NewerSchemaError
from ocean.store.base import Owner
from ocean.store.lease import Fence, LeaseHolder
from ocean.store.postgres import schema
from ocean.store.postgres.store import PostgresStore
from ocean.store.sqlite import migrations
from ocean.store.sqlite.store import SQLiteStore
from tests.store.postgres import connected


@pytest.mark.parametrize("own_process", [False, True], ids=["thread", "process"])
async def test_an_embedded_catalog_of_a_newer_ocean_is_refused(
    tmp_path: Path, own_process: bool
) -> None:
    path = tmp_path / "catalog.db"
    await (await SQLiteStore.open(path)).close()
    newer = len(migrations.MIGRATIONS) + 1
    with sqlite3.connect(path) as db:
        db.execute(f"PRAGMA user_version = {newer}")

    with pytest.raises(
        NewerSchemaError, match=f"version {newer}.*pip install -U ocean-sync"
    ) as raised:
        await SQLiteStore.open(path, own_process=own_process)

    crossed = pickle.loads(pickle.dumps(raised.value))  # as from the catalog's process
    assert (type(crossed), str(crossed)) == (NewerSchemaError, str(raised.value))

    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA user_version").fetchone() == (newer,)


async def test_a_postgresql_catalog_of_a_newer_ocean_is_refused(postgres_url: str) -> None:
    await (await PostgresStore.open(postgres_url)).close()
    newer = len(schema.MIGRATIONS) + 1
    db = await connected(postgres_url)
    await db.execute(f"INSERT INTO ocean_schema(version) VALUES ({newer})")

    with pytest.raises(NewerSchemaError, match=f"version {newer}.*pip install -U ocean-sync"):
        await PostgresStore.open(postgres_url)

    assert await db.fetchval("SELECT max(version) FROM ocean_schema") == newer
    await db.close()


HOLDER = LeaseHolder(id="older-replica", host="h", pid=1)


async def test_an_open_embedded_catalog_a_newer_ocean_migrates_refuses_the_next_resync(
    tmp_path: Path,
) -> None:
    """A rolling upgrade: a replica that opened the catalog before a newer one migrated it
    takes no more resyncs, saying why, rather than writing by rules that changed."""
    path = tmp_path / "catalog.db"
    store = await SQLiteStore.open(path)
    try:
        newer = len(migrations.MIGRATIONS) + 1
        with sqlite3.connect(path) as db:
            db.execute(f"PRAGMA user_version = {newer}")

        with pytest.raises(NewerSchemaError, match=f"version {newer}.*pip install -U ocean-sync"):
            await store.acquire_lease("my-integration", HOLDER, 60)
    finally:
        await store.close()


async def test_an_open_postgresql_catalog_a_newer_ocean_migrates_refuses_the_next_resync(
    postgres_url: str,
) -> None:
    store = await PostgresStore.open(postgres_url)
    try:
        newer = len(schema.MIGRATIONS) + 1
        db = await connected(postgres_url)
        await db.execute(f"INSERT INTO ocean_schema(version) VALUES ({newer})")
        await db.close()

        with pytest.raises(NewerSchemaError, match=f"version {newer}.*pip install -U ocean-sync"):
            await store.acquire_lease("my-integration", HOLDER, 60)
    finally:
        await store.close()


async def _a_deletion_fenced_after_a_newer_ocean_migrated(store: Any, bump: Any) -> None:
    """An older replica's resync holds its lease while a newer Ocean migrates the catalog:
    its stale deletion, by the rules it knows, deletes nothing and says why."""
    await store.create_blueprints([{"identifier": "svc", "title": "S", "schema": {}}])
    owner = Owner("github", "gh-1", "1.0.0")
    await store.upsert_entities([{"identifier": "a", "blueprint": "svc"}], owner=owner,
                                merge=True)  # fmt: skip
    await store.acquire_lease("my-integration", HOLDER, 60)
    await bump()

    with pytest.raises(NewerSchemaError, match="pip install -U ocean-sync"):
        await store.delete_entities(
            [("svc", "a")], delete_dependents=False, fence=Fence("my-integration", HOLDER)
        )
    assert list(await store.get_entities("svc", ["a"])) == ["a"]


@pytest.fixture(params=["sqlite-thread", "sqlite-process", "postgresql"])
async def migrated_meanwhile(
    request: pytest.FixtureRequest, tmp_path: Path, postgres_url: str
) -> AsyncIterator[tuple[Any, Callable[[], Awaitable[None]]]]:
    """An open catalog, and what migrates it as a newer Ocean would (its schema's version
    one past this Ocean's)."""
    if request.param == "postgresql":
        store: Any = await PostgresStore.open(postgres_url)

        async def bump() -> None:
            db = await connected(postgres_url)
            newer = len(schema.MIGRATIONS) + 1
            await db.execute(f"INSERT INTO ocean_schema(version) VALUES ({newer})")
            await db.close()

    else:
        path = tmp_path / "catalog.db"
        store = await SQLiteStore.open(path, own_process=request.param == "sqlite-process")

        async def bump() -> None:
            with sqlite3.connect(path) as db:
                db.execute(f"PRAGMA user_version = {len(migrations.MIGRATIONS) + 1}")

    try:
        yield store, bump
    finally:
        await store.close()


async def test_a_catalog_a_newer_ocean_migrates_mid_resync_refuses_its_stale_deletion(
    migrated_meanwhile: tuple[Any, Callable[[], Awaitable[None]]],
) -> None:
    await _a_deletion_fenced_after_a_newer_ocean_migrated(*migrated_meanwhile)


async def _an_entity_write_after_a_newer_ocean_migrated(store: Any, bump: Any) -> None:
    """A replica still running when a newer Ocean migrated the catalog (a live event, the
    catalog server's write): it writes nothing, and says why."""
    await store.create_blueprints([{"identifier": "svc", "title": "S", "schema": {}}])
    owner = Owner("github", "gh-1", "1.0.0")
    await store.upsert_entities([{"identifier": "a", "blueprint": "svc", "title": "old"}],
                                owner=owner, merge=True)  # fmt: skip
    await bump()

    with pytest.raises(NewerSchemaError, match="pip install -U ocean-sync"):
        await store.upsert_entities(
            [{"identifier": "a", "blueprint": "svc", "title": "new"}, {"identifier": "b",
              "blueprint": "svc"}], owner=owner, merge=True,
        )  # fmt: skip
    stored = await store.get_entities("svc", ["a", "b"])
    assert {key: entity.get("title") for key, entity in stored.items()} == {"a": "old"}


async def test_an_open_catalog_a_newer_ocean_migrates_refuses_entity_writes(
    migrated_meanwhile: tuple[Any, Callable[[], Awaitable[None]]],
) -> None:
    await _an_entity_write_after_a_newer_ocean_migrated(*migrated_meanwhile)
