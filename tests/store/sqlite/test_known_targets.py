"""Relation targets the catalog's connection remembers as existing are forgotten when they
may have gone: deleted by this connection (however) or by another one."""

from __future__ import annotations

from pathlib import Path

import pytest

from ocean.store.base import Owner
from ocean.store.entity_rules import EntityRules
from ocean.store.sqlite.catalog import SQLiteCatalog
from ocean.store.writes import prepare

BLUEPRINTS = [
    {"identifier": "team", "title": "team", "schema": {"properties": {}}, "relations": {}},
    {
        "identifier": "person",
        "title": "person",
        "schema": {"properties": {}},
        "relations": {"team": {"target": "team", "many": False, "required": False}},
    },
]
RULES = {bp["identifier"]: EntityRules(bp) for bp in BLUEPRINTS}
OWNER = Owner("it", "it-1")
STRICT = {"merge": True, "only_changed": True, "create_missing_related": False}


def _person(catalog: SQLiteCatalog, identifier: str) -> str:
    entity = {"identifier": identifier, "blueprint": "person", "relations": {"team": "t1"}}
    (outcome,) = catalog.upsert_entities(prepare([entity], RULES), OWNER, STRICT)
    return outcome.status


@pytest.mark.parametrize("deleter", ["this-connection", "another-connection", "any-statement"])
def test_a_deleted_target_is_found_missing_again(tmp_path: Path, deleter: str) -> None:
    path = tmp_path / "catalog.db"
    catalog = SQLiteCatalog(path)
    catalog.create_blueprints(BLUEPRINTS)
    team = {"identifier": "t1", "blueprint": "team"}
    catalog.upsert_entities(prepare([team], RULES), OWNER, STRICT)
    assert _person(catalog, "p1") == "created"  # t1 found, and remembered

    other = SQLiteCatalog(path) if deleter == "another-connection" else catalog
    if deleter == "any-statement":
        catalog.in_transaction(
            lambda db: db.execute("DELETE FROM entities WHERE blueprint = 'team'")
        )
    else:
        other.delete_entities([("person", "p1"), ("team", "t1")], delete_dependents=False)
    status = _person(catalog, "p2")
    other.close()
    catalog.close()

    assert status == "failed"


def test_a_placeholder_made_for_a_missing_target_is_known(tmp_path: Path) -> None:
    catalog = SQLiteCatalog(tmp_path / "catalog.db")
    catalog.create_blueprints(BLUEPRINTS)
    lenient = {**STRICT, "create_missing_related": True}
    entities = [{"identifier": "p1", "blueprint": "person", "relations": {"team": "t9"}}]
    catalog.upsert_entities(prepare(entities, RULES), OWNER, lenient)

    entity = {"identifier": "p2", "blueprint": "person", "relations": {"team": "t9"}}
    (outcome,) = catalog.upsert_entities(prepare([entity], RULES), OWNER, STRICT)
    catalog.close()

    assert outcome.status == "created"
