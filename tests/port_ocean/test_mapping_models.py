"""Selector and resource models written for the original (pydantic v1 habits) keep their
meaning on the pydantic v2 models ``port_ocean`` provides."""

from __future__ import annotations

from typing import Any, Literal, Optional

import pytest
from pydantic import Field, ValidationError, create_model
from pydantic.v1 import Field as V1Field

from port_ocean.core.handlers.port_app_config.models import ResourceConfig, Selector


class IssueSelector(Selector):  # as the original's Jira integration writes it
    jql: str | None = Field(description="JQL that picks the issues")
    board: Optional[int]  # noqa: UP045 (the spelling integrations use)
    source: Literal["board", "sprint", "all"] = Field(default="sprint")


class IssueResourceConfig(ResourceConfig):
    kind: Literal["issue"]
    selector: IssueSelector


class V1FieldSelector(Selector):  # Field() of pydantic.v1, to match the original's models
    since: int = V1Field(default=60, ge=0, le=90, alias="sinceDays")
    states: list[str] = V1Field(default_factory=lambda: ["open"])
    jql: str | None = V1Field(description="JQL")


EvaluatedSelector = create_model(  # annotations as types, not text
    "EvaluatedSelector",
    __base__=Selector,
    jql=(Optional[str], Field(description="JQL")),  # noqa: UP045
)


@pytest.mark.parametrize(
    ("model", "given", "expected"),
    [
        (IssueSelector, {"query": "true"}, {"jql": None, "board": None, "source": "sprint"}),
        (IssueSelector, {"jql": "project = OPS", "board": 7}, {"jql": "project = OPS", "board": 7}),
        (EvaluatedSelector, {}, {"jql": None}),
        (V1FieldSelector, {}, {"since": 60, "states": ["open"], "jql": None}),
        (V1FieldSelector, {"sinceDays": 7, "jql": "x"}, {"since": 7, "jql": "x"}),
    ],
    ids=["left-out", "given", "evaluated-annotations", "v1-defaults", "v1-alias"],
)
def test_a_field_that_admits_none_without_a_default_may_be_left_out(
    model: type[Selector], given: dict[str, Any], expected: dict[str, Any]
) -> None:
    selector = model.model_validate(given)

    assert {name: getattr(selector, name) for name in expected} == expected


class ListSelector(Selector):
    labels: list[str | None]


@pytest.mark.parametrize(
    ("model", "given", "missing"),
    [
        (ListSelector, {}, "labels"),
        (IssueResourceConfig, {"selector": {}, "port": {}}, "kind"),
        (V1FieldSelector, {"sinceDays": -1}, "sinceDays"),
    ],
    ids=["none-inside-a-list", "plain-field", "v1-bound"],
)
def test_other_fields_without_a_default_stay_required(
    model: type[Selector | ResourceConfig], given: dict[str, Any], missing: str
) -> None:
    with pytest.raises(ValidationError, match=missing):
        model.model_validate(given)


def test_a_resource_is_built_from_the_original_s_model_names_as_integrations_tests_build_it() -> (
    None
):
    from port_ocean.core.handlers.port_app_config.models import (
        EntityMapping,
        MappingsConfig,
        PortResourceConfig,
    )

    built = ResourceConfig(
        kind="repo",
        selector=Selector(query="true"),
        port=PortResourceConfig(
            entity=MappingsConfig(
                mappings=EntityMapping(
                    identifier=".id", title=".name", blueprint='"repo"', properties={"a": ".a"}
                )
            )
        ),
    )
    read = ResourceConfig.model_validate(
        {
            "kind": "repo",
            "selector": {"query": "true"},
            "port": {
                "entity": {
                    "mappings": {
                        "identifier": ".id",
                        "title": ".name",
                        "blueprint": '"repo"',
                        "properties": {"a": ".a"},
                    }
                }
            },
        }
    )

    assert built == read
    assert built.port.entity.mappings.identifier == ".id"


def test_search_queries_are_built_from_the_original_s_rule_models() -> None:
    from port_ocean.core.handlers.port_app_config.models import (
        EntityMapping,
        IngestSearchQuery,
        Rule,
    )

    query = IngestSearchQuery(
        combinator="and", rules=[Rule(property="$title", operator="=", value="api")]
    )
    mapping = EntityMapping(identifier=query, blueprint='"repo"', relations={"service": query})

    expected = {
        "combinator": "and",
        "rules": [{"property": "$title", "operator": "=", "value": "api"}],
    }
    assert (mapping.identifier, mapping.relations["service"]) == (expected, expected)
