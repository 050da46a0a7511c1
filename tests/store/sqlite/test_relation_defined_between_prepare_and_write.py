"""Review: a relation another connection defines between prepare and write is kept."""

from __future__ import annotations

from pathlib import Path

import pytest

from ocean.store.base import Owner
from ocean.store.sqlite.process import CatalogProcess
from ocean.store.sqlite.store import SQLiteStore

OWNER = Owner("github", "gh-1", "1.0.0")
SVC = {"identifier": "svc", "title": "S", "schema": {"properties": {}}, "relations": {}}


@pytest.mark.parametrize("process", [False, True])
async def test_a_relation_defined_meanwhile_is_kept(tmp_path: Path, process: bool) -> None:
    path = tmp_path / "c.db"
    one = (
        SQLiteStore(await CatalogProcess.start(path), path)
        if process
        else await SQLiteStore.open(path)
    )
    other = await SQLiteStore.open(path)
    try:
        await one.create_blueprints([SVC])
        await one.list_blueprints()
        entities = [
            {
                "identifier": "a",
                "blueprint": "svc",
                "relations": {"lead": "b"},
                "properties": {"x": 1},
            },
        ]
        prepared = one.prepare_writes(entities)  # type: ignore[arg-type]
        assert prepared is not None
        relations = {"lead": {"target": "svc", "many": False, "required": False}}
        schema = {"properties": {"x": {"type": "number"}}}
        await other.update_blueprint("svc", {"relations": relations, "schema": schema})
        (outcome,) = await one.upsert_prepared(entities, prepared, owner=OWNER, merge=False)  # type: ignore[arg-type]
        assert outcome.ok, outcome.error
        stored = (await other.get_entities("svc", ["a"]))["a"]
        assert stored["relations"] == {"lead": "b"} and stored["properties"] == {"x": 1}
        assert "b" in await other.get_entities("svc", ["b"])  # its placeholder
    finally:
        await one.close()
        await other.close()
