"""Reading the embedded catalog's entities a page at a time, in key order."""

from __future__ import annotations

from pathlib import Path

import pytest

from ocean.store.base import Owner
from ocean.store.entity_rules import EntityRules
from ocean.store.sqlite.catalog import SQLiteCatalog
from ocean.store.writes import prepare

BLUEPRINTS = [
    {"identifier": name, "title": name, "schema": {"properties": {}}, "relations": {}}
    for name in ("a", "b", "c")
]
OPTIONS = {"merge": True, "only_changed": False, "create_missing_related": True}


@pytest.mark.parametrize(
    ("blueprint", "after", "expected"),
    [
        pytest.param("b", ("", ""), ["b1", "b2"], id="from-the-start"),
        pytest.param("b", ("a", "a9"), ["b1", "b2"], id="after-an-earlier-blueprint"),
        pytest.param("b", ("b", "b1"), ["b2", "b3"], id="within-the-blueprint"),
        pytest.param("b", ("b", "b3"), [], id="after-its-last"),
        pytest.param("b", ("c", ""), [], id="after-a-later-blueprint"),
        pytest.param(None, ("a", "a2"), ["a3", "b1"], id="every-blueprint"),
    ],
)
def test_a_page_starts_right_after_the_given_key(
    tmp_path: Path, blueprint: str | None, after: tuple[str, str], expected: list[str]
) -> None:
    catalog = SQLiteCatalog(tmp_path / "catalog.db")
    catalog.create_blueprints(BLUEPRINTS)
    entities = [{"identifier": f"{bp}{i}", "blueprint": bp} for bp in "abc" for i in (1, 2, 3)]
    rules = {bp["identifier"]: EntityRules(bp) for bp in BLUEPRINTS}
    catalog.upsert_entities(prepare(entities, rules), Owner("it", "it-1"), OPTIONS)

    page = catalog.entity_page(blueprint, after, 2)
    catalog.close()

    assert [entity["identifier"] for entity in page] == expected
