"""The bad-input corpus: every kind of wrong input a user can give Ocean gets a clear error
(it names the offending file, field or value and says what to do) and nothing is written
wrongly: the catalog is unchanged, or holds only the good items.

Tables: mapping files, spec files, blueprints, handler items, catalog-server bodies.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from ocean.job import SilentObserver
from ocean.listen.once import run_once
from ocean.sail import prepare
from ocean.store.open import open_store

HANDLER = """
import dataclasses
from ocean import Integration

ocean = Integration()

@ocean.on_resync("thing")
async def things(kind):
    good = [{{"id": f"good-{{i}}", "name": "Good", "blob": "text"}} for i in range({good})]
    yield good[:1] + [{bad}] + good[1:]
"""
MAPPING = """
resources:
  - kind: thing
    selector: {query: "true"}
    port:
      entity:
        mappings:
          identifier: .id
          title: .name
          blueprint: '"thing"'
          properties: {blob: .blob}
"""
BLUEPRINTS = [
    {
        "identifier": "thing",
        "title": "Thing",
        "schema": {"properties": {"blob": {"type": "string"}}},
        "relations": {},
    }
]


def _folder(root: Path, main: str, mapping: str = MAPPING) -> Path:
    folder = root / "integration"
    resources = folder / ".port" / "resources"
    resources.mkdir(parents=True, exist_ok=True)
    (folder / "main.py").write_text(main)
    (folder / ".port" / "spec.yaml").write_text("type: testing\n")
    (resources / "port-app-config.yml").write_text(mapping)
    (resources / "blueprints.json").write_text(json.dumps(BLUEPRINTS))
    return folder


async def _entities(url: str) -> dict[str, Any]:
    store = await open_store(url)
    try:
        return {e["identifier"]: e async for e in store.iter_entities(None)}
    finally:
        await store.close()


# --- handler items ----------------------------------------------------------------------

HANDLER_ITEMS = [
    ('{"id": "bad", "name": "Bad", "blob": b"\\xff\\x00"}', "blob", "bytes", "decode"),
    ('{"id": "bad", "name": "Bad", "blob": bytearray(b"x")}', "blob", "bytearray", "decode"),
    ('{"id": "bad", "name": "Bad", "blob": {1, 2}}', "blob", "set", "into a list"),
    ('{"id": "bad", "name": "Bad", "blob": frozenset()}', "blob", "frozenset", "into a list"),
    ('{"id": "bad", "name": "Bad", "blob": complex(1, 2)}', "blob", "complex", "into text"),
    ('{"id": "bad", "name": "Bad", "blob": object()}', "blob", "object", "into text"),
    ('{"id": "bad", "name": "Bad", "x": {"deep": [1, b"y"]}}', "x.deep[1]", "bytes", "decode"),
    ('{"id": "bad", "name": "Bad", "x": {("a",): 1}}', "x[('a',)]", "tuple", "into text"),
    ('{"id": "bad", "name": "Bad", "x": [{"my key": b""}]}', "x[0]['my key']", "bytes", "decode"),
]


@pytest.mark.parametrize("good", [3, 600], ids=["small-page", "pooled-page"])
@pytest.mark.parametrize("own_process", [False, True], ids=["thread", "catalog-process"])
@pytest.mark.parametrize(("bad", "field", "type_name", "advice"), HANDLER_ITEMS)
async def test_a_handler_item_that_is_not_json_fails_alone_naming_its_field(
    tmp_path: Path, bad: str, field: str, type_name: str, advice: str, own_process: bool, good: int
) -> None:
    folder = _folder(tmp_path, HANDLER.format(good=good, bad=bad))
    url = f"sqlite:///{tmp_path / 'catalog.db'}"
    store = await open_store(url, own_process=own_process)
    try:
        report = await run_once(prepare(folder, environ={}, overrides={}), store, SilentObserver())
    finally:
        await store.close()

    (kind,) = report.kinds
    assert (kind.status, kind.failed, kind.created) == ("failed", 1, good)
    (error,) = kind.errors
    assert f"field {field!r}" in error and type_name in error and advice in error
    assert "item 1 (id 'bad')" in error and "JSON" in error
    assert sorted(await _entities(url)) == sorted(f"good-{i}" for i in range(good))


async def test_a_failed_item_keeps_its_entity_from_the_last_resync(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'catalog.db'}"
    folder = _folder(tmp_path, HANDLER.format(good=2, bad='{"id": "bad", "name": "Bad"}'))
    first = await _sail(folder, url)
    _folder(tmp_path, HANDLER.format(good=2, bad='{"id": "bad", "name": "Bad", "blob": b"x"}'))
    second = await _sail(folder, url)
    third = await _sail(folder, url)  # the page is not remembered as clean: reported again

    assert first.status == "completed" and second.status == third.status == "failed"
    assert "'blob'" in third.kinds[0].errors[0]
    assert sorted(await _entities(url)) == ["bad", "good-0", "good-1"]


async def _sail(folder: Path, url: str) -> Any:
    store = await open_store(url)
    try:
        return await run_once(prepare(folder, environ={}, overrides={}), store, SilentObserver())
    finally:
        await store.close()
