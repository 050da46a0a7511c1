from typing import Literal

from pydantic.v1 import Field, validator

from port_ocean.core.handlers.port_app_config.api import APIPortAppConfig
from port_ocean.core.handlers.port_app_config.models import (
    PortAppConfig,
    ResourceConfig,
    Selector,
)
from port_ocean.core.integrations.base import BaseIntegration


class RepositorySelector(Selector):
    include_archived: bool = Field(default=False, alias="includeArchived")

    @validator("include_archived")
    def archived_is_bool(cls, value: bool) -> bool:  # a pydantic v1 validator, as GitHub's
        return bool(value)


class RepositoryResourceConfig(ResourceConfig):
    kind: Literal["repository"]
    selector: RepositorySelector


class TeamResourceConfig(ResourceConfig):
    kind: Literal["team"]


class SampleAppConfig(PortAppConfig):
    resources: list[RepositoryResourceConfig | TeamResourceConfig] = Field(default_factory=list)


class SampleIntegration(BaseIntegration):
    class AppConfigHandlerClass(APIPortAppConfig):
        CONFIG_CLASS = SampleAppConfig
