"""The selector and resource models are ``pydantic.v1`` models, as the original's:
integrations subclass them with v1 fields, validators and custom types, and Ocean's core
validates the mapping with them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from typing import Any, Literal, Optional

import pytest
from pydantic.v1 import Field, ValidationError, validator

from ocean.errors import MappingError
from ocean.mapping import parse_mapping
from port_ocean.core.handlers.port_app_config.models import (
    EntityMapping,
    IngestSearchQuery,
    MappingsConfig,
    PortAppConfig,
    PortResourceConfig,
    ResourceConfig,
    Rule,
    Selector,
)


class Window:
    """A custom v1 field type: ``"7d"`` becomes seven days."""

    @classmethod
    def __get_validators__(cls) -> Iterator[Callable[[Any], dt.timedelta]]:
        yield cls.parse

    @classmethod
    def parse(cls, value: Any) -> dt.timedelta:
        if not isinstance(value, str) or not value.endswith("d"):
            raise ValueError(f"{value!r} is not a number of days such as '7d'")
        return dt.timedelta(days=int(value[:-1]))


class IssueSelector(Selector):  # as the original's Jira integration writes it
    jql: str | None = Field(description="JQL that picks the issues")
    board: Optional[int]  # noqa: UP045 (the spelling integrations use)
    source: Literal["board", "sprint", "all"] = Field(default="sprint")
    window: Window = Field(default="30d", alias="window")  # type: ignore[assignment]

    @validator("jql")
    def jql_not_blank(cls, value: str | None) -> str | None:
        if value is not None and not value.strip():
            raise ValueError("jql must not be blank")
        return value


class IssueResourceConfig(ResourceConfig):
    kind: Literal["issue"]
    selector: IssueSelector


class IssueMapping(PortAppConfig):
    resources: list[IssueResourceConfig] = Field(default_factory=list)


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ({"query": "true"}, {"jql": None, "board": None, "source": "sprint"}),
        ({"jql": "project = OPS", "board": "7"}, {"jql": "project = OPS", "board": 7}),
        ({"window": "7d"}, {"window": dt.timedelta(days=7)}),
    ],
    ids=["left-out", "given-and-coerced", "custom-type"],
)
def test_subclasses_keep_v1_meaning(given: dict[str, Any], expected: dict[str, Any]) -> None:
    selector = IssueSelector.parse_obj(given)

    assert {name: getattr(selector, name) for name in expected} == expected


@pytest.mark.parametrize(
    ("given", "problem"),
    [({"jql": "  "}, "jql must not be blank"), ({"window": "soon"}, "is not a number of days")],
)
def test_v1_validators_and_custom_types_reject(given: dict[str, Any], problem: str) -> None:
    with pytest.raises(ValidationError, match=problem):
        IssueSelector.parse_obj(given)


def _document(selector: dict[str, Any]) -> dict[str, Any]:
    mappings = {"identifier": ".key", "blueprint": '"issue"'}
    resource = {"kind": "issue", "selector": selector, "port": {"entity": {"mappings": mappings}}}
    return {"resources": [resource]}


def test_the_core_validates_the_mapping_with_the_integrations_v1_model() -> None:
    config = parse_mapping(_document({"query": "true", "window": "14d"}), model=IssueMapping)

    own = config.resources[0].for_integration
    assert isinstance(own, IssueResourceConfig)
    assert own.selector.window == dt.timedelta(days=14)
    with pytest.raises(MappingError, match="is not a number of days"):
        parse_mapping(_document({"window": "later"}), model=IssueMapping)


def test_a_resource_is_built_from_the_original_s_model_names_as_integrations_tests_build_it() -> (
    None
):
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
    mappings = {"identifier": ".id", "title": ".name", "blueprint": '"repo"', "properties": {}}
    mappings["properties"] = {"a": ".a"}
    read = ResourceConfig.parse_obj(
        {"kind": "repo", "selector": {"query": "true"}, "port": {"entity": {"mappings": mappings}}}
    )

    assert built == read
    assert built.port.entity.mappings.identifier == ".id"
    assert read.port.items_to_parse_name == "item"


def test_search_queries_are_the_original_s_rule_models() -> None:
    query = IngestSearchQuery(
        combinator="and", rules=[Rule(property="$title", operator="=", value="api")]
    )
    mapping = EntityMapping.parse_obj(
        {"identifier": query.dict(), "blueprint": '"repo"', "relations": {"service": query}}
    )

    assert mapping.identifier == query and mapping.relations["service"] == query
    assert mapping.is_using_search_identifier


def test_the_whole_mapping_reads_by_alias_or_name_and_spells_itself_by_alias() -> None:
    config = PortAppConfig.parse_obj({"deleteDependentEntities": False, "enable_merge_entity": 0})

    request = config.to_request()
    assert (request["deleteDependentEntities"], request["enableMergeEntity"]) == (False, False)
    with pytest.raises(ValidationError):
        PortAppConfig.parse_obj({"entityDeletionThreshold": 2})


def test_with_the_integration_s_model_keys_ocean_does_not_know_are_ignored_with_a_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    document = _document({"query": "true"})
    document["resources"][0]["port"]["entity"]["relations"] = {"team": ".team"}  # misplaced

    config = parse_mapping(document, model=IssueMapping)

    assert config.resources[0].kind == "issue"
    assert "resources.0.port.entity.relations is not in the port-app-config format" in caplog.text
    with pytest.raises(MappingError, match="unknown key"):
        parse_mapping(document)  # without a model of its own, Ocean's format is strict
