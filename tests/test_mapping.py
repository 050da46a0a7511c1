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
