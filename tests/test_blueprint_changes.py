"""Which edits of a blueprint are safe to apply over stored entities (pure)."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from ocean.blueprint_changes import compare

STORED: dict[str, Any] = {
    "identifier": "service",
    "title": "Service",
    "schema": {
        "properties": {
            "url": {"type": "string", "format": "url", "title": "URL"},
            "stars": {"type": "number"},
            "tier": {"type": "string", "enum": ["gold", "silver"]},
        },
        "required": ["url"],
    },
    "relations": {"team": {"target": "team", "many": False, "required": False}},
}


def _edited(edit: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
    wanted = copy.deepcopy(STORED)
    edit(wanted)
    return wanted


EDITS: list[tuple[str, Callable[[dict[str, Any]], None], str | None, str | None]] = [
    ("title", lambda b: b.update(title="Services"), "title changed", None),
    ("new property", lambda b: b["schema"]["properties"].update(lang={"type": "string"}), "property 'lang' added", None),
    ("new relation", lambda b: b["relations"].update(owner={"target": "team"}), "relation 'owner' added", None),
    ("property title", lambda b: b["schema"]["properties"]["url"].update(title="Link"), "property 'url' retitled or redescribed", None),
    ("wider enum", lambda b: b["schema"]["properties"]["tier"].update(enum=["gold", "silver", "bronze"]), "property 'tier' retitled or redescribed", None),
    ("no longer required", lambda b: b["schema"].update(required=[]), "properties ['url'] no longer required", None),
    ("type", lambda b: b["schema"]["properties"]["stars"].update(type="string"), None, "property 'stars' type changes from 'number' to 'string'"),
    ("format", lambda b: b["schema"]["properties"]["url"].pop("format"), None, "property 'url' format changes from 'url' to None"),
    ("narrower enum", lambda b: b["schema"]["properties"]["tier"].update(enum=["gold"]), None, "property 'tier' loses the enum values ['silver']"),
    ("removed property", lambda b: b["schema"]["properties"].pop("stars"), None, "property 'stars' removed (its values with it)"),
    ("newly required", lambda b: b["schema"].update(required=["url", "stars"]), None, "property 'stars' becomes required"),
    ("relation target", lambda b: b["relations"]["team"].update(target="group"), None, "relation 'team' target changes from 'team' to 'group'"),
    ("relation many", lambda b: b["relations"]["team"].update(many=True), None, "relation 'team' many changes from False to True"),
    ("removed relation", lambda b: b.update(relations={}), None, "relation 'team' removed (its values with it)"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("edit", "safe", "unsafe"), [e[1:] for e in EDITS], ids=[e[0] for e in EDITS]
)
def test_each_edit_is_safe_or_not_over_stored_entities(
    edit: Callable[[dict[str, Any]], None], safe: str | None, unsafe: str | None
) -> None:
    change = compare(STORED, _edited(edit), entities=3)

    assert change.safe == ([safe] if safe else [])
    assert change.unsafe == ([unsafe] if unsafe else [])
    assert bool(change.patch) == bool(safe)
    assert change.whole


@pytest.mark.parametrize(
    ("edit", "safe", "unsafe"), [e[1:] for e in EDITS], ids=[e[0] for e in EDITS]
)
def test_a_blueprint_without_entities_takes_every_edit(
    edit: Callable[[dict[str, Any]], None], safe: str | None, unsafe: str | None
) -> None:
    wanted = _edited(edit)
    change = compare(STORED, wanted, entities=0)

    assert (change.unsafe, change.safe) == ([], [safe or unsafe])
    assert {**STORED, **change.patch} == wanted


def test_a_safe_patch_applies_the_safe_part_and_keeps_the_rest() -> None:
    def edit(blueprint: dict[str, Any]) -> None:
        blueprint["schema"]["properties"]["stars"]["type"] = "string"
        blueprint["schema"]["properties"]["lang"] = {"type": "string"}

    change = compare(STORED, _edited(edit), entities=1)
    patched = {**STORED, **change.patch}

    assert patched["schema"]["properties"]["stars"] == {"type": "number"}
    assert patched["schema"]["properties"]["lang"] == {"type": "string"}
    assert patched["schema"]["required"] == ["url"]


@pytest.mark.parametrize(
    "stored",
    [
        pytest.param(STORED, id="as-written"),
        pytest.param(
            STORED | {"createdAt": "2024", "relations": {"team": {"target": "team", "title": "Team", "many": False, "required": False}}},
            id="as-a-catalog-returns-it",
        ),
    ],
)  # fmt: skip
def test_an_unchanged_blueprint_changes_nothing(stored: dict[str, Any]) -> None:
    wanted = copy.deepcopy(STORED)
    wanted["relations"]["team"] = {"target": "team"}  # many/required left out: false

    change = compare(stored, wanted, entities=5)

    assert (change.safe, change.unsafe, change.patch) == ([], [], {})


def test_a_stored_property_becoming_a_calculation_property_waits_with_its_removal() -> None:
    """Over stored entities the removal of ``stars`` is left out, so the calculation
    property of that name waits with it (a blueprint cannot hold both); the rest of the
    edit (a second calculation) is applied."""

    def edit(blueprint: dict[str, Any]) -> None:
        del blueprint["schema"]["properties"]["stars"]
        blueprint["calculationProperties"] = {
            "stars": {"title": "Stars", "calculation": "1", "type": "number"},
            "link": {"title": "Link", "calculation": ".title", "type": "string"},
        }

    change = compare(STORED, _edited(edit), entities=3)

    assert change.unsafe == [
        "property 'stars' removed (its values with it)",
        "property 'stars' becomes a calculation property",
    ]
    assert change.patch == {
        "calculationProperties": {"link": _edited(edit)["calculationProperties"]["link"]}
    }
    assert (
        compare(STORED, _edited(edit), entities=0).patch["calculationProperties"]
        == (_edited(edit)["calculationProperties"])
    )
