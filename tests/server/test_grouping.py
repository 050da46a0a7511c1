"""Bulk requests written together: one the catalog cannot take fails alone."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from ocean.errors import CatalogUnavailableError, StoreError
from ocean.server.grouping import GroupedWrites
from ocean.store.base import Owner, WriteOutcome
from ocean.store.sqlite.store import SQLiteStore
from ocean.store.writes import made_by
from ocean.types import Entity

OWNER = Owner("svc", "my-svc")


class _Refusing:
    """The catalog, failing any write that holds an entity named ``boom`` (as a write the
    database refuses fails whole)."""

    def __init__(self, store: SQLiteStore, *, down_after: int | None = None) -> None:
        self.store, self.writes, self.down_after = store, 0, down_after

    async def upsert_entities(self, entities: list[Entity], **options: Any) -> list[WriteOutcome]:
        self.writes += 1
        if self.down_after is not None and self.writes > self.down_after:
            raise CatalogUnavailableError("the catalog's database cannot be reached")
        if any(entity["identifier"] == "boom" for entity in entities):
            raise StoreError("the catalog refused the write")
        return await self.store.upsert_entities(entities, **options)


async def test_a_request_the_catalog_refuses_fails_alone_and_the_others_are_written(
    tmp_path: Path,
) -> None:
    store = await SQLiteStore.open(tmp_path / "c.db")
    await store.create_blueprints([{"identifier": "svc", "title": "Svc", "schema": {}}])
    refusing = _Refusing(store)
    writes = GroupedWrites(refusing)  # type: ignore[arg-type]
    requests = [[{"identifier": name, "blueprint": "svc"}] for name in ("a", "boom", "c")]
    try:
        answers = await asyncio.gather(
            *(writes.upsert(r, owner=OWNER, merge=True) for r in requests),  # type: ignore[arg-type]
            return_exceptions=True,
        )
        stored = await store.get_entities("svc", ["a", "boom", "c"])
    finally:
        await store.close()

    assert refusing.writes == 4  # together, then each alone
    kinds = ["list" if isinstance(answer, list) else type(answer).__name__ for answer in answers]
    assert kinds == ["list", "StoreError", "list"]
    assert sorted(stored) == ["a", "c"]


@pytest.mark.parametrize("names", [("a", "c"), ("boom",)], ids=["all-taken", "one-refused"])
async def test_a_group_written_whole_is_written_once(
    tmp_path: Path, names: tuple[str, ...]
) -> None:
    store = await SQLiteStore.open(tmp_path / "c.db")
    await store.create_blueprints([{"identifier": "svc", "title": "Svc", "schema": {}}])
    refusing = _Refusing(store)
    writes = GroupedWrites(refusing)  # type: ignore[arg-type]
    try:
        await asyncio.gather(
            *(
                writes.upsert([{"identifier": n, "blueprint": "svc"}], owner=OWNER, merge=True)
                for n in names
            ),  # type: ignore[list-item]
            return_exceptions=True,
        )
    finally:
        await store.close()

    assert refusing.writes == 1


async def test_a_catalog_going_down_while_a_group_is_written_alone_fails_the_rest_at_once(
    tmp_path: Path,
) -> None:
    """The group fails on one request's entity; the catalog goes down at the first request
    written alone: the others are not tried against it, one by one."""
    store = await SQLiteStore.open(tmp_path / "c.db")
    await store.create_blueprints([{"identifier": "svc", "title": "Svc", "schema": {}}])
    refusing = _Refusing(store, down_after=1)
    writes = GroupedWrites(refusing)  # type: ignore[arg-type]
    requests = [[{"identifier": name, "blueprint": "svc"}] for name in ("a", "boom", "c", "d")]
    try:
        answers = await asyncio.gather(
            *(writes.upsert(r, owner=OWNER, merge=True) for r in requests),  # type: ignore[arg-type]
            return_exceptions=True,
        )
    finally:
        await store.close()

    assert refusing.writes == 2  # together, then the first alone
    assert {type(answer).__name__ for answer in answers} == {"CatalogUnavailableError"}


async def test_each_placeholder_of_a_group_goes_to_the_request_naming_its_blueprint(
    tmp_path: Path,
) -> None:
    """Two requests written together both name "t1", of two blueprints: each is told of the
    placeholder it made (its caller is audited as its maker), not the first of them both."""
    store = await SQLiteStore.open(tmp_path / "c.db")
    relation = {"many": False, "required": False}
    await store.create_blueprints([
        {"identifier": "region", "title": "R", "schema": {}},
        {"identifier": "team", "title": "T", "schema": {}},
        {"identifier": "svc", "title": "S", "schema": {}, "relations": {
            "region": {"target": "region", **relation}, "team": {"target": "team", **relation}}},
    ])  # fmt: skip
    writes = GroupedWrites(store)
    requests = [
        [{"identifier": "first", "blueprint": "svc"}],
        [{"identifier": "a", "blueprint": "svc", "relations": {"region": "t1"}}],
        [{"identifier": "b", "blueprint": "svc", "relations": {"team": "t1"}}],
    ]
    try:
        answers = await asyncio.gather(
            *(writes.upsert(r, owner=OWNER, merge=True, create_missing_related=True)  # type: ignore[arg-type]
              for r in requests)
        )  # fmt: skip
    finally:
        await store.close()

    assert [made_by(answer) for answer in answers] == [[], [("region", "t1")], [("team", "t1")]]
