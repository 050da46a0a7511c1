"""Search queries in a mapping (an identifier, a team or a relation as ``{combinator,
rules}``) are checked as the original's models check them, with advice."""

from __future__ import annotations

from typing import Any

import pytest

from ocean.errors import MappingError
from ocean.mapping import parse_mapping, parse_resource

RULE = {"property": '"name"', "operator": '"="', "value": ".owner"}


def _query(*rules: Any) -> dict[str, Any]:
    return {"combinator": '"and"', "rules": list(rules)}


def _document(field: str, query: dict[str, Any]) -> dict[str, Any]:
    mappings: dict[str, Any] = {"identifier": ".id", "blueprint": '"svc"'}
    if field.startswith("relations."):
        mappings["relations"] = {field.partition(".")[2]: query}
    else:
        mappings[field] = query
    return {"resources": [{"kind": "svc", "port": {"entity": {"mappings": mappings}}}]}


@pytest.mark.parametrize(
    ("field", "query", "problem"),
    [
        ("relations.owner", _query(RULE | {"value": None}),
         "resources.0.port.entity.mappings.relations.owner.rules.0.value: null (left empty in "
         "the YAML): give the rule's value as a JQ text (e.g. value: .name, or value: '\"main\"' "
         "for a literal), or remove the rule"),
        ("identifier", _query({"property": '"name"', "operator": '"="'}),
         "resources.0.port.entity.mappings.identifier.rules.0.value: required, missing: a rule "
         "needs a property, an operator and a value"),
        ("team", _query(_query(RULE | {"operator": None})),
         "resources.0.port.entity.mappings.team.rules.0.rules.0.operator: null"),
        ("relations.owner", {"combinator": '"or"', "rules": ".x"},
         "resources.0.port.entity.mappings.relations.owner.rules: expected a list of rules"),
        ("relations.owner", {"rules": [RULE]},
         "resources.0.port.entity.mappings.relations.owner.combinator: missing or null"),
    ],
    ids=["null-value", "missing-value", "nested-null-operator", "rules-not-a-list", "no-combinator"],
)  # fmt: skip
def test_a_broken_search_query_fails_validation_naming_resource_field_and_fix(
    field: str, query: dict[str, Any], problem: str
) -> None:
    with pytest.raises(MappingError) as raised:
        parse_mapping(_document(field, query), source="port-app-config.yml")

    assert f"  - {problem}" in str(raised.value)
    with pytest.raises(MappingError):
        parse_resource(_document(field, query)["resources"][0])


@pytest.mark.parametrize(
    "query",
    [_query(RULE), _query(RULE, _query(RULE | {"value": 3})), ".owner", {"not": "a query"}],
    ids=["rules", "nested-and-number", "jq-text", "plain-object"],
)
def test_a_search_query_with_every_rule_whole_validates(query: Any) -> None:
    config = parse_mapping(_document("relations.owner", query))

    mappings = config.resources[0].port.entity.mappings
    assert mappings.relations == {"owner": query}


@pytest.mark.parametrize(
    ("field", "query", "kept"),
    [
        ("identifier", _query(RULE | {"extra": '"x"'}), _query(RULE)),
        ("team", _query(RULE) | {"blueprint": '"team"'}, _query(RULE)),
        ("relations.owner", _query(RULE | _query(RULE | {"value": ".id"})), _query(RULE)),
        ("relations.owner", _query(_query(RULE | {"note": '"n"'})), _query(_query(RULE))),
    ],
    ids=["key-beside-a-rule", "key-beside-the-rules", "rule-beside-a-query", "nested"],
)
def test_a_search_query_keeps_only_what_the_originals_models_keep(
    field: str, query: dict[str, Any], kept: dict[str, Any]
) -> None:
    """Other keys are dropped (the original's models ignore them), not sent to the catalog;
    a dict holding a whole rule is that rule, whatever query it holds besides."""
    for resource in (
        parse_mapping(_document(field, query)).resources[0],
        parse_resource(_document(field, query)["resources"][0]),
    ):
        mappings = resource.port.entity.mappings
        found = (
            mappings.relations["owner"]
            if field.startswith("relations.")
            else getattr(mappings, field)
        )
        assert found == kept
