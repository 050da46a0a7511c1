"""After a bulk write of some blueprints found none of its keys stored (a first sync), the
next write of them does not ask which are: it inserts its new rows. One stored after all
(written meanwhile by another connection) makes it roll back and write again, asking, so
what is stored, owned and related ends as if it had asked."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ocean.store.base import Owner
from ocean.store.entity_rules import EntityRules
from ocean.store.sqlite.catalog import SQLiteCatalog
from ocean.store.writes import prepare
from tests.store.sqlite.test_created import BLUEPRINTS, OPTIONS, OWNER, _person

RULES = {bp["identifier"]: EntityRules(bp) for bp in BLUEPRINTS}
OTHER = Owner("other", "other-1")
FIRST = 100
"""New entities in the first write: as many as a write must find none stored of."""


def _traced(catalog: SQLiteCatalog) -> list[str]:
    """The statements ``catalog`` runs from now on."""
    statements: list[str] = []
    catalog.read(lambda db: db.set_trace_callback(statements.append))
    return statements


def _count(statements: list[str], start: str) -> int:
    return sum(statement.startswith(start) for statement in statements)


_READ = "SELECT identifier, body, version FROM entities"
"""How a statement reading stored bodies starts."""
_INSERT = (
    "INSERT INTO entities(blueprint, identifier, body, created_at, updated_at, version) VALUES"
)
"""How a statement inserting (or upserting) written rows starts."""


@pytest.fixture
def catalog(tmp_path: Path) -> Iterator[SQLiteCatalog]:
    """A catalog whose first bulk write of persons found none stored."""
    opened = SQLiteCatalog(tmp_path / "catalog.db")
    opened.create_blueprints(BLUEPRINTS)
    first = [_person(f"p{n}", "t1") for n in range(FIRST)]
    opened.upsert_entities(prepare(first, RULES), OWNER, OPTIONS)
    yield opened
    opened.close()


def _write(catalog: SQLiteCatalog, entities: list[dict[str, Any]], owner: Owner = OWNER) -> Any:
    outcomes = catalog.upsert_entities(prepare(entities, RULES), owner, OPTIONS)
    return [(o.identifier, o.status) for o in outcomes]


def test_the_next_write_of_new_entities_does_not_ask(catalog: SQLiteCatalog) -> None:
    statements = _traced(catalog)

    assert _write(catalog, [_person("q1", "t1"), _person("q2", "t2")]) == [
        ("q1", "created"),
        ("q2", "created"),
    ]
    assert _count(statements, _READ) == 0
    assert {("person", "q1"), ("person", "q2"), ("team", "t2")} <= catalog.owned_keys(OWNER, None)


def test_a_key_stored_meanwhile_is_written_again_asking(
    catalog: SQLiteCatalog, tmp_path: Path
) -> None:
    other = SQLiteCatalog(tmp_path / "catalog.db")
    other.upsert_entities(prepare([_person("q1", "t9", age=5)], RULES), OTHER, OPTIONS)
    other.close()
    statements = _traced(catalog)

    assert _write(catalog, [_person("q2", "t1"), _person("q1", "t2")]) == [
        ("q2", "created"),
        ("q1", "updated"),
    ]
    assert _count(statements, _INSERT) == 2  # inserted, rolled back, made again asking
    assert _count(statements, _READ) == 1
    edges = catalog.read(
        lambda db: db.execute(
            "SELECT target, identifier FROM relations WHERE identifier IN ('q1', 'q2') ORDER BY 2"
        ).fetchall()
    )
    assert edges == [("t2", "q1"), ("t1", "q2")]  # q1's edge to t9 is gone
    owned = catalog.owned_keys(OWNER, None)
    assert {("person", "q1"), ("person", "q2")} <= owned
    assert ("team", "t9") not in owned  # the other owner's placeholder stays its own


def test_a_write_that_found_a_key_stored_makes_the_next_one_ask(catalog: SQLiteCatalog) -> None:
    _write(catalog, [_person("p0", "t1", age=2)])  # stored: the next write asks
    statements = _traced(catalog)

    assert _write(catalog, [_person("q1", "t1")]) == [("q1", "created")]
    assert _count(statements, _READ) == 1


def test_a_small_write_of_new_entities_is_no_sign_of_a_first_sync(tmp_path: Path) -> None:
    catalog = SQLiteCatalog(tmp_path / "catalog.db")
    catalog.create_blueprints(BLUEPRINTS)
    _write(catalog, [_person("p1", "t1")])  # a live event's new entity
    statements = _traced(catalog)

    _write(catalog, [_person("p2", "t1")])
    catalog.close()

    assert _count(statements, _READ) == 1


def test_a_write_that_must_be_planned_asks_first(catalog: SQLiteCatalog) -> None:
    sent = [_person("p0", "t2"), {**_person("bad", "t1"), "properties": {"age": "old"}}]

    assert _write(catalog, sent) == [("p0", "updated"), ("bad", "failed")]


def test_a_write_that_stores_nothing_leaves_its_owners_row_as_it_was(
    catalog: SQLiteCatalog,
) -> None:
    newer = Owner(OWNER.integration_type, OWNER.identifier, "9.9.9")
    before = catalog.read(lambda db: db.execute("SELECT key, datasource FROM owners").fetchall())

    assert _write(catalog, [_person("p0", "t1")], newer) == [("p0", "unchanged")]
    assert (
        catalog.read(lambda db: db.execute("SELECT key, datasource FROM owners").fetchall())
        == before
    )


def test_placeholders_of_its_own_blueprint_make_the_next_write_ask(tmp_path: Path) -> None:
    catalog = SQLiteCatalog(tmp_path / "catalog.db")
    catalog.create_blueprints(BLUEPRINTS + [_MANAGED])
    first = [_managed(f"m{n}", f"boss{n}") for n in range(FIRST)]  # each boss a placeholder
    _write(catalog, first)
    statements = _traced(catalog)

    assert _write(catalog, [_managed("boss1", "m0")]) == [("boss1", "updated")]
    catalog.close()

    assert (_count(statements, _READ), _count(statements, _INSERT)) == (1, 1)


_MANAGED = {
    "identifier": "staff",
    "title": "staff",
    "schema": {"properties": {}},
    "relations": {"boss": {"target": "staff", "many": False, "required": False}},
}
RULES["staff"] = EntityRules(_MANAGED)


def _managed(identifier: str, boss: str) -> dict[str, Any]:
    return {"identifier": identifier, "blueprint": "staff", "relations": {"boss": boss}}


def test_placeholders_made_by_another_blueprints_write_make_a_write_of_theirs_ask(
    tmp_path: Path,
) -> None:
    catalog = SQLiteCatalog(tmp_path / "catalog.db")
    catalog.create_blueprints(BLUEPRINTS)
    _write(catalog, [{"identifier": f"t{n}", "blueprint": "team"} for n in range(FIRST)])
    _write(catalog, [_person("p1", "t500")])  # t500 made as a placeholder
    statements = _traced(catalog)

    sent = [{"identifier": "t500", "blueprint": "team", "title": "Team 500"}]
    assert _write(catalog, sent) == [("t500", "updated")]
    catalog.close()

    assert (_count(statements, _READ), _count(statements, _INSERT)) == (1, 1)
