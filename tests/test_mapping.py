"""The mapping file with an integration's own model: both validate, the integration's
objects ride along for its code, and its errors are reported in its words."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic.v1 import Field

from ocean.errors import MappingError
from ocean.mapping import parse_mapping, to_document
from port_ocean.core.handlers.port_app_config.models import (
    PortAppConfig,
    ResourceConfig,
    Selector,
)


class TeamSelector(Selector):
    include_archived: bool = Field(default=False, alias="includeArchived")


class TeamResource(ResourceConfig):
    selector: TeamSelector
    owner_team: str = Field(alias="ownerTeam")


class TeamMapping(PortAppConfig):
    resources: list[TeamResource] = Field(default_factory=list)


def _document(**resource: Any) -> dict[str, Any]:
    mappings = {"identifier": ".id", "blueprint": '"team"'}
    entry = {"kind": "team", "selector": {"query": "true", "includeArchived": True}}
    return {"resources": [entry | {"port": {"entity": {"mappings": mappings}}} | resource]}


def test_the_integrations_objects_ride_along_for_its_code() -> None:
    config = parse_mapping(_document(ownerTeam="platform"), model=TeamMapping)

    resource = config.resources[0]
    assert (resource.kind, resource.selector.query) == ("team", "true")
    assert isinstance(resource.for_integration, TeamResource)
    assert resource.for_integration.selector.include_archived is True
    assert resource.for_integration.owner_team == "platform"
    assert isinstance(config.for_integration, TeamMapping)
    assert "ownerTeam" not in to_document(config)["resources"][0]


def test_without_a_model_the_code_gets_oceans_own_objects() -> None:
    config = parse_mapping(_document())

    assert config.resources[0].for_integration is config.resources[0]
    assert config.for_integration is config


def test_the_models_errors_are_reported_in_its_words() -> None:
    with pytest.raises(MappingError) as raised:
        parse_mapping(_document(), source="port-app-config.yml", model=TeamMapping)

    message = str(raised.value)
    assert message.startswith("port-app-config.yml does not validate")
    assert "ownerTeam" in message and "field required" in message


def _resource_document(**resource: Any) -> dict[str, Any]:
    mappings = {"identifier": ".id", "blueprint": '"team"'}
    return {"resources": [{"kind": "team", "port": {"entity": {"mappings": mappings}}} | resource]}


@pytest.mark.parametrize(
    ("given", "enable_delete", "written"),
    [
        ({}, True, None),
        ({"enableDelete": False}, False, False),
        ({"enableDelete": True}, True, True),
    ],
    ids=["omitted", "false", "true"],
)
def test_enable_delete_is_read_and_kept_as_the_original_keeps_it(
    given: dict[str, Any], enable_delete: bool, written: bool | None
) -> None:
    config = parse_mapping(_resource_document(**given))

    assert config.resources[0].enable_delete is enable_delete
    assert to_document(config)["resources"][0].get("enableDelete") is written
    model = PortAppConfig.parse_obj(_resource_document(**given))
    assert model.resources[0].enable_delete is enable_delete


@pytest.mark.parametrize("value", ["false", None, 0], ids=["text", "null", "number"])
def test_enable_delete_must_be_a_boolean_as_in_the_original(value: Any) -> None:
    with pytest.raises(MappingError) as raised:
        parse_mapping(_resource_document(enableDelete=value), source="port-app-config.yml")

    assert "resources.0.enableDelete: Expected `bool`" in str(raised.value)
    assert "(write true or false, without quotes)" in str(raised.value)
    with pytest.raises(ValueError, match="enableDelete must be a boolean"):
        PortAppConfig.parse_obj(_resource_document(enableDelete=value))


@pytest.mark.parametrize(
    ("document", "problem"),
    [
        ({"deleteDependentEntities": "false"}, "deleteDependentEntities: Expected `bool`, got `str` (write true or false, without quotes)"),
        ({"entityDeletionThreshold": "0.5"}, "entityDeletionThreshold: Expected `float`, got `str`"),
    ],
    ids=["boolean-as-text", "number-as-text"],
)  # fmt: skip
def test_booleans_and_numbers_written_as_text_are_refused_naming_the_key(
    document: dict[str, Any], problem: str
) -> None:
    """The original's pydantic v1 reads ``"false"`` as false; Ocean's model does not guess
    (see docs/mapping.md)."""
    with pytest.raises(MappingError) as raised:
        parse_mapping({**document, "resources": []})

    assert f"  - {problem}" in str(raised.value)


@pytest.mark.parametrize("resource", [{}, {"selector": {}}], ids=["no-selector", "no-query"])
def test_a_resource_without_a_selector_query_maps_every_item(resource: dict[str, Any]) -> None:
    """The original's model refuses the file; Ocean reads ``true`` (see docs/mapping.md)."""
    config = parse_mapping(_resource_document(**resource))

    assert config.resources[0].selector.query == "true"


@pytest.mark.parametrize(
    ("resource", "problem"),
    [
        ({"port": {"entity": {"mappings": {"identifier": ".id", "porperties": {}}}}},
         "resources.0.port.entity.mappings.porperties: unknown key (not in the port-app-config format) (did you mean `properties`?)"),
        ({"port": {"itemToParse": ".x", "entity": {"mappings": {"identifier": ".id"}}}},
         "resources.0.port.itemToParse: unknown key (not in the port-app-config format) (did you mean `itemsToParse`?)"),
        ({"surprise": 1}, "resources.0.surprise: unknown key (not in the port-app-config format)\n"),
    ],
    ids=["properties", "items-to-parse", "close-to-nothing"],
)  # fmt: skip
def test_an_unknown_key_is_named_with_the_key_likely_meant(
    resource: dict[str, Any], problem: str
) -> None:
    with pytest.raises(MappingError) as raised:
        parse_mapping(_resource_document(**resource))

    assert f"  - {problem}" in str(raised.value)


@pytest.mark.parametrize("key", ["querry", "Query", "qeury"])
def test_a_selector_key_close_to_query_is_warned_of(
    key: str, caplog: pytest.LogCaptureFixture
) -> None:
    """Kept (an integration's selector has fields of its own), but the query is then
    ``true``: every item is synced."""
    config = parse_mapping(_resource_document(selector={key: ".archived | not"}))

    assert config.resources[0].selector.query == "true"
    assert f"resources.0.selector.{key} is not the selector's query (did you mean `query`?)" in (
        caplog.text
    )
