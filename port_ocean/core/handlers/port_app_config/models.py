"""The mapping models (``port_ocean.core.handlers.port_app_config.models``), in pydantic v2.

Custom integrations subclass them (``class MySelector(Selector): ...``) and name their
``PortAppConfig`` subclass as ``CONFIG_CLASS``. Ocean validates the mapping file with
that model as well as with its own (:mod:`ocean.mapping`, which reads the fields both
know) and hands the integration's code this model's objects (``event.resource_config``,
a webhook processor's ``resource_config``). Only integrations that import this module pay
for importing pydantic.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from ocean.mapping import leaf_as_text
from port_ocean._unsupported import missing

JqText = Annotated[str, BeforeValidator(leaf_as_text)]
MappingLeaf = Annotated[str | dict[str, Any], BeforeValidator(leaf_as_text)]


class _Model(BaseModel):
    model_config = ConfigDict(populate_by_name=True, extra="forbid")


class Selector(BaseModel):
    model_config = ConfigDict(populate_by_name=True, extra="allow")
    query: JqText = "true"


class EntityMappings(_Model):
    identifier: MappingLeaf
    blueprint: JqText
    title: MappingLeaf | None = None
    icon: MappingLeaf | None = None
    team: MappingLeaf | None = None
    properties: dict[str, MappingLeaf] = Field(default_factory=dict)
    relations: dict[str, MappingLeaf] = Field(default_factory=dict)


class EntityMapping(_Model):
    mappings: EntityMappings


class PortResourceConfig(_Model):
    entity: EntityMapping
    items_to_parse: str | None = Field(default=None, alias="itemsToParse")
    items_to_parse_name: str = Field(default="item", alias="itemsToParseName")
    items_to_parse_top_level_transform: bool = Field(
        default=True, alias="itemsToParseTopLevelTransform"
    )


class ResourceConfig(_Model):
    kind: str
    selector: Selector = Field(default_factory=Selector)
    port: PortResourceConfig


class PortAppConfig(_Model):
    delete_dependent_entities: bool = Field(default=True, alias="deleteDependentEntities")
    create_missing_related_entities: bool = Field(
        default=True, alias="createMissingRelatedEntities"
    )
    enable_merge_entity: bool = Field(default=True, alias="enableMergeEntity")
    entity_deletion_threshold: float = Field(
        default=0.9, ge=0, le=1, alias="entityDeletionThreshold"
    )
    resources: list[ResourceConfig] = Field(default_factory=list)


MappingsConfig = EntityMappings

__all__ = [
    "EntityMapping",
    "MappingsConfig",
    "PortAppConfig",
    "PortResourceConfig",
    "ResourceConfig",
    "Selector",
]
__getattr__ = missing(__name__)
