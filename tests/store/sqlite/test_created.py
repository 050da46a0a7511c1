"""A batch of entities none of which is stored is written without a plan, with the same
outcomes, rows and edges as a planned write."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ocean.store.base import Owner
from ocean.store.entity_rules import EntityRules
from ocean.store.sqlite.catalog import SQLiteCatalog
from ocean.store.writes import prepare

BLUEPRINTS = [
    {"identifier": "team", "title": "team", "schema": {"properties": {}}, "relations": {}},
    {
        "identifier": "person",
        "title": "person",
        "schema": {"properties": {"age": {"type": "number"}}},
        "relations": {"team": {"target": "team", "many": False, "required": False}},
    },
]
RULES = {bp["identifier"]: EntityRules(bp) for bp in BLUEPRINTS}
OWNER = Owner("it", "it-1")
OPTIONS = {"merge": True, "only_changed": True, "create_missing_related": True}


def _person(identifier: str, team: str, age: Any = 1) -> dict[str, Any]:
    return {
        "identifier": identifier,
        "blueprint": "person",
        "properties": {"age": age},
        "relations": {"team": team},
    }


def _write(tmp_path: Path, entities: list[dict[str, Any]], **options: bool) -> Any:
    catalog = SQLiteCatalog(tmp_path / "catalog.db")
    catalog.create_blueprints(BLUEPRINTS)
    outcomes = catalog.upsert_entities(prepare(entities, RULES), OWNER, OPTIONS | options)
    edges = catalog.read(lambda db: db.execute("SELECT * FROM relations ORDER BY 4, 2").fetchall())
    owned = catalog.owned_keys(OWNER, None)
    bodies = {e["identifier"]: e.get("relations") for e in catalog.entity_page(None, ("", ""), 9)}
    catalog.close()
    statuses = [(o.index, o.identifier, o.status, o.version is not None) for o in outcomes]
    return statuses, edges, owned, bodies


def test_new_entities_with_a_failed_key_and_a_missing_target(tmp_path: Path) -> None:
    entities = [_person("p1", "t1"), {"identifier": "x", "blueprint": "nope"}, _person("p2", "t1")]

    statuses, edges, owned, _ = _write(tmp_path, entities)

    assert statuses == [(0, "p1", "created", True), (1, "x", "failed", False), (2, "p2", "created", True)]  # fmt: skip
    assert edges == [("team", "t1", "person", "p1", "team"), ("team", "t1", "person", "p2", "team")]  # fmt: skip
    assert owned == {("person", "p1"), ("person", "p2"), ("team", "t1")}


def test_an_invalid_body_fails_alone(tmp_path: Path) -> None:
    statuses, edges, _, _ = _write(tmp_path, [_person("p1", "t1", age="old"), _person("p2", "t1")])

    assert statuses == [(0, "p1", "failed", False), (1, "p2", "created", True)]
    assert edges == [("team", "t1", "person", "p2", "team")]


def test_a_missing_target_fails_its_entity_without_placeholders(tmp_path: Path) -> None:
    statuses, edges, owned, _ = _write(
        tmp_path, [_person("p1", "t1")], create_missing_related=False
    )

    assert statuses == [(0, "p1", "failed", False)]
    assert (edges, owned) == ([], set())


def test_a_key_twice_keeps_the_last_body_and_its_edges(tmp_path: Path) -> None:
    statuses, edges, _, bodies = _write(tmp_path, [_person("p1", "t1"), _person("p1", "t2")])

    assert statuses == [(0, "p1", "created", True), (1, "p1", "updated", True)]
    assert edges == [("team", "t2", "person", "p1", "team")]
    assert bodies["p1"] == {"team": "t2"}
