"""The generated quick yes: it accepts only bodies the full check finds nothing wrong with,
and accepts the usual ones."""

from __future__ import annotations

from typing import Any

import pytest

from ocean.store.entity_rules import EntityRules
from ocean.store.writes import body_of
from tests.store.test_model import SERVICE

BLUEPRINT: dict[str, Any] = {  # the model tests' service, with every kind of property
    **SERVICE,
    "schema": {
        "properties": SERVICE["schema"]["properties"]
        | {
            "meta": {"type": "object"},
            "archived": {"type": "boolean"},
            "anything": "not a definition",
            "level": {"type": "number", "enum": [1, 2]},
            "color": {"type": "string", "format": "hex-color"},
        },
        "required": ["url"],
    },
    "relations": SERVICE["relations"] | {"owner": {"target": "user", "required": True}},
}
FINE = {"properties": {"url": "https://x"}, "relations": {"owner": "ann"}}


def _quick_yes(blueprint: dict[str, Any]) -> tuple[EntityRules, Any]:
    rules = EntityRules(blueprint)
    return rules, lambda body: rules.plain(body) is not None


def _with(**parts: dict[str, Any] | Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "properties": dict(FINE["properties"]),
        "relations": dict(FINE["relations"]),
    }
    for name, value in parts.items():
        if isinstance(value, dict) and name in body:
            body[name] |= value
        else:
            body[name] = value
    return body


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(FINE, id="minimal"),
        pytest.param(
            _with(
                properties={
                    "stars": 1.5,
                    "tier": "gold",
                    "tags": ["a"],
                    "meta": {"k": 1},
                    "archived": False,
                    "anything": [1],
                },
                relations={"team": "core", "depends": ["a", "b"]},
                title="API",
                team=["core"],
            ),
            id="every-field",
        ),
        pytest.param(_with(properties={"level": 2, "color": "red"}), id="number-enum-any-format"),
        pytest.param(_with(properties={"stars": None, "tier": None}), id="nulls-clear"),
        pytest.param(_with(relations={"team": None}), id="null-relation"),
    ],
)
def test_usual_bodies_are_certainly_valid(body: dict[str, Any]) -> None:
    rules, quick_yes = _quick_yes(BLUEPRINT)

    assert quick_yes(body)
    assert rules.problems(body) == []


@pytest.mark.parametrize(
    "entity",
    [
        pytest.param({"identifier": "a", "blueprint": "service", **FINE}, id="entity"),
        pytest.param(_with(relations={"depends": ["a", "b"], "team": None}), id="many"),
        pytest.param(_with(relations={"team": "core"}, title=None, icon="x", team="c"), id="meta"),
    ],
)
def test_the_quick_path_shapes_the_body_and_edges_as_the_full_path(entity: dict[str, Any]) -> None:
    rules = EntityRules(BLUEPRINT)

    plain = rules.plain(entity)

    assert plain is not None
    body, edges = plain
    assert body == body_of(entity) and list(body) == list(body_of(entity))
    assert sorted(edges) == sorted(rules.edges(body_of(entity)))


def test_relation_values_found_valid_before_are_valid_again_and_others_are_not() -> None:
    rules, quick_yes = _quick_yes(BLUEPRINT)
    fine = _with(relations={"team": "core", "depends": ["a", "b"]})

    assert quick_yes(fine) and quick_yes(fine)  # the second time remembered
    assert not quick_yes(_with(relations={"depends": ["a", "b", "c d"]}))
    assert not quick_yes(_with(relations={"depends": ["a", 1]}))
    assert not quick_yes(_with(relations={"team": "core "}))


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        pytest.param(_with(properties={"url": "nope"}), "not a valid url", id="format"),
        pytest.param(_with(properties={"url": None}), "'url' is required", id="required-null"),
        pytest.param({"relations": {"owner": "ann"}}, "'url' is required", id="required-missing"),
        pytest.param(_with(properties={"stars": True}), "expected number", id="bool-not-number"),
        pytest.param(_with(properties={"stars": "1"}), "expected number", id="text-not-number"),
        pytest.param(_with(properties={"tier": "bronze"}), "not one of", id="enum"),
        pytest.param(_with(properties={"tier": 1}), "expected string", id="enum-type"),
        pytest.param(_with(properties={"level": 3}), "not one of", id="number-enum"),
        pytest.param(_with(properties={"url": 5}), "expected string", id="format-type"),
        pytest.param(_with(properties={"tags": ["a", 1]}), "expected string", id="items"),
        pytest.param(_with(properties={"meta": []}), "expected object", id="object"),
        pytest.param(_with(properties={"archived": 0}), "expected boolean", id="boolean"),
        pytest.param(_with(relations={"team": ["a"]}), "is single", id="single"),
        pytest.param(_with(relations={"depends": "a"}), "is many", id="many"),
        pytest.param(_with(relations={"owner": None}), "'owner' is required", id="required-rel"),
        pytest.param(_with(relations={"team": ""}), "'team': identifier ''", id="empty-target"),
        pytest.param(_with(relations={"team": ".."}), "'team': identifier '..'", id="dots"),
        pytest.param(_with(relations={"owner": "a b"}), "(no spaces)", id="space-target"),
        pytest.param(
            _with(relations={"depends": ["ok", "a b"]}), "'depends': identifier 'a b'", id="many"
        ),
        pytest.param(_with(relations={"depends": ["x" * 1001]}), "over 1000", id="long-target"),
        pytest.param(_with(relations={"depends": ["a", {"b": 1}]}), "is many", id="many-object"),
        pytest.param(_with(title=5), "title must be a string", id="title"),
        pytest.param(_with(team=[1]), "team must be", id="team"),
    ],
)
def test_anything_wrong_goes_to_the_full_check(body: dict[str, Any], problem: str) -> None:
    rules, quick_yes = _quick_yes(BLUEPRINT)

    assert not quick_yes(body)
    assert any(problem in p for p in rules.problems(body)), rules.problems(body)


@pytest.mark.parametrize(
    ("body", "path"),
    [
        (_with(properties={"extra": 1}), "properties.extra"),
        (_with(relations={"nope": "a"}), "relations.nope"),
    ],
)
def test_what_the_blueprint_does_not_define_goes_the_long_way_and_is_dropped_there(
    body: dict[str, Any], path: str
) -> None:
    rules, quick_yes = _quick_yes(BLUEPRINT)

    assert not quick_yes(body)
    assert rules.undefined(body) == [path]
    assert rules.problems(rules.defined(body, computed=True)) == []


def test_a_schema_requiring_what_it_does_not_define_is_never_quickly_valid() -> None:
    blueprint = {
        "identifier": "odd",
        "schema": {"properties": {}, "required": ["ghost"]},
        "relations": {},
    }
    rules, quick_yes = _quick_yes(blueprint)

    assert not quick_yes({"properties": {}})
    assert rules.problems({"properties": {}}) == ["property 'ghost' is required but missing"]


LIMITED: dict[str, Any] = {
    "identifier": "limited",
    "schema": {
        "properties": {
            "name": {"type": "string", "minLength": 3, "maxLength": 5, "pattern": "^[a-z]+$"},
            "replicas": {"type": "number", "minimum": 0, "maximum": 10, "multipleOf": 2},
            "ratio": {"type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 1},
            "old": {"type": "number", "minimum": 0, "exclusiveMinimum": True},  # draft 4
            "tags": {
                "type": "array",
                "minItems": 1,
                "maxItems": 2,
                "uniqueItems": True,
                "items": {"type": "string", "maxLength": 3},
            },  # fmt: skip
        },
    },
}


@pytest.mark.parametrize(
    ("properties", "problem"),
    [
        pytest.param({"name": "ab"}, "'ab' has 2 characters, fewer than minLength 3", id="min-len"),
        pytest.param({"name": "abcdef"}, "more than maxLength 5", id="max-len"),
        pytest.param({"name": "ABC"}, "does not match the pattern '^[a-z]+$'", id="pattern"),
        pytest.param({"replicas": -2}, "-2 must be at least 0 (minimum)", id="minimum"),
        pytest.param({"replicas": 12}, "12 must be at most 10 (maximum)", id="maximum"),
        pytest.param({"replicas": 3}, "3 is not a multiple of 2", id="multiple"),
        pytest.param({"ratio": 0}, "0 must be above 0 (exclusiveMinimum)", id="exclusive-min"),
        pytest.param({"ratio": 1.0}, "must be below 1 (exclusiveMaximum)", id="exclusive-max"),
        pytest.param({"old": 0}, "0 must be above 0 (minimum)", id="draft-4-exclusive"),
        pytest.param({"tags": []}, "fewer than minItems 1", id="min-items"),
        pytest.param({"tags": ["a", "b", "c"]}, "more than maxItems 2", id="max-items"),
        pytest.param({"tags": ["a", "a"]}, "repeats an item", id="unique"),
        pytest.param({"tags": ["toolong"]}, "more than maxLength 3", id="items-max-len"),
    ],
)
def test_a_value_beyond_its_limits_is_refused_by_the_full_check(
    properties: dict[str, Any], problem: str
) -> None:
    rules, quick_yes = _quick_yes(LIMITED)

    assert not quick_yes({"properties": properties})
    assert any(problem in p for p in rules.problems({"properties": properties})), rules.problems(
        {"properties": properties}
    )


def test_a_value_within_its_limits_is_valid() -> None:
    rules = EntityRules(LIMITED)
    body = {
        "properties": {
            "name": "abcd", "replicas": 10, "ratio": 0.5, "old": 0.1, "tags": ["a", "bcd"]
        }
    }  # fmt: skip

    assert rules.problems(body) == []
    assert rules.checked({"properties": {"replicas": 0.6, "name": "abc"}})[0] == [
        "property 'replicas': 0.6 is not a multiple of 2 (multipleOf)"
    ]
