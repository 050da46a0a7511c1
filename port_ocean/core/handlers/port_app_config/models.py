"""The mapping models (``port_ocean.core.handlers.port_app_config.models``): ``pydantic.v1``
models, as the original's.

Integrations subclass them with v1 fields, validators and custom types
(``class MySelector(Selector): ...``) and name their ``PortAppConfig`` subclass as
``CONFIG_CLASS``. Ocean validates the mapping file with its own fast model
(:mod:`ocean.mapping`) and, when an integration names its own, with that one too; the
integration's code is handed that model's objects (``event.resource_config``, a webhook
processor's ``resource_config``). Only integrations that import this module pay for
importing pydantic.
"""

from __future__ import annotations

from typing import Any, ClassVar, TypeVar

from pydantic.v1 import BaseModel, Field, validator

from port_ocean._unsupported import missing

CUSTOM_KIND = "__custom__"
"""What a resource model whose ``kind`` is any text (``kind: str``) stands for."""

_Config = TypeVar("_Config", bound="PortAppConfig")


class Rule(BaseModel):
    """One rule of a search query (``{"property": ..., "operator": ..., "value": ...}``)."""

    property: str = Field(title="Property", description="The property compared.")
    operator: str = Field(title="Operator", description="How it is compared ('=', ...).")
    value: str = Field(title="Value", description="What it is compared with.")


class IngestSearchQuery(BaseModel):
    """A search query standing for an identifier, a team or a relation's target."""

    combinator: str = Field(title="Combinator", description="'and' or 'or'.")
    rules: list[Rule | IngestSearchQuery] = Field(
        title="Rules", description="Rules, or nested queries, combined."
    )


class EntityMapping(BaseModel):
    """An entity's fields, each a JQ text (the identifier, team and relations may be
    search queries)."""

    identifier: str | IngestSearchQuery = Field(
        title="Identifier", description="JQ giving the entity's identifier."
    )
    title: str | None = Field(title="Title", description="JQ giving the entity's title.")
    icon: str | None = Field(title="Icon", description="JQ giving the entity's icon.")
    blueprint: str = Field(title="Blueprint", description="JQ giving the entity's blueprint.")
    team: str | IngestSearchQuery | None = Field(
        title="Team", description="JQ giving the entity's team."
    )
    properties: dict[str, str] = Field(
        default_factory=dict, title="Properties", description="JQ per property."
    )
    relations: dict[str, str | IngestSearchQuery] = Field(
        default_factory=dict, title="Relations", description="JQ per relation."
    )

    @property
    def is_using_search_identifier(self) -> bool:
        return isinstance(self.identifier, dict | IngestSearchQuery)


class MappingsConfig(BaseModel):
    """``entity:`` of a resource: its ``mappings``."""

    mappings: EntityMapping = Field(title="Mappings", description="The entity's fields.")


class PortResourceConfig(BaseModel):
    """``port:`` of a resource: how its items become entities."""

    entity: MappingsConfig = Field(title="Entity", description="The entity mapped.")
    items_to_parse: str | None = Field(
        alias="itemsToParse",
        title="Items to parse",
        description="JQ giving a list in each item: one entity per element.",
    )
    items_to_parse_name: str = Field(
        "item",
        alias="itemsToParseName",
        title="Items to parse name",
        description="The key under which each element is handed to the mapping.",
    )
    items_to_parse_top_level_transform: bool = Field(
        True,
        alias="itemsToParseTopLevelTransform",
        title="Items to parse top level transform",
        description="Whether the list is left out of the item each element comes with.",
    )


class Selector(BaseModel):
    """``selector:`` of a resource: a JQ ``query`` each item must pass, and the
    integration's own fields (in subclasses)."""

    query: str = Field(
        "true", title="Query", description="JQ that must be true of an item to map it."
    )
    export_env_variables: list[str] = Field(
        default_factory=list,
        alias="exportEnvVariables",
        title="Export environment variables",
        description="Environment variables handed on with the data (the original's DSP).",
    )


class ResourceConfig(BaseModel):
    """One entry of ``resources``: a kind, its selector and its entity mapping."""

    kind: str = Field(title="Kind", description="What the integration fetches.")
    selector: Selector = Field(
        default_factory=lambda: Selector(query="true"),
        title="Selector",
        description="Which items to map.",
    )
    port: PortResourceConfig = Field(title="Port", description="How items become entities.")
    enable_delete: bool = Field(
        True,
        alias="enableDelete",
        title="Enable delete",
        description="Whether a resync may delete the resource's stale entities (kept, not "
        "acted on, as by the original).",
    )

    @validator("enable_delete", pre=True)
    def _enable_delete_must_be_bool(cls, value: object) -> object:
        """A boolean only (``"false"``, 0 and null are refused), as the original's."""
        if not isinstance(value, bool):
            raise ValueError(
                "enableDelete must be a boolean (true or false). "
                "Omit the key to keep the default (true)."
            )
        return value


class PortAppConfig(BaseModel):
    """The whole mapping file."""

    allow_custom_kinds: ClassVar[bool] = False

    enable_merge_entity: bool = Field(
        True,
        alias="enableMergeEntity",
        title="Enable merge entity",
        description="Merge written entities into those in the catalog.",
    )
    delete_dependent_entities: bool = Field(
        True,
        alias="deleteDependentEntities",
        title="Delete dependent entities",
        description="Delete the entities related to a deleted one.",
    )
    create_missing_related_entities: bool = Field(
        True,
        alias="createMissingRelatedEntities",
        title="Create missing related entities",
        description="Create the targets of relations that do not exist yet.",
    )
    entity_deletion_threshold: float = Field(
        0.9,
        alias="entityDeletionThreshold",
        ge=0,
        le=1,
        title="Entity deletion threshold",
        description="The largest share of the catalog a resync may delete.",
    )
    resources: list[ResourceConfig] = Field(
        default_factory=list, title="Resources", description="What to map, kind by kind."
    )

    class Config:
        allow_population_by_field_name = True
        validate_assignment = True

    @classmethod
    def model_validate(cls: type[_Config], data: Any) -> _Config:
        """The model of a mapping document (how Ocean's core validates with it)."""
        return cls.parse_obj(data)

    def get_port_request_options(self) -> dict[str, bool]:
        return {
            "delete_dependent_entities": self.delete_dependent_entities,
            "create_missing_related_entities": self.create_missing_related_entities,
            "merge": self.enable_merge_entity,
            "validation_only": False,
        }

    def to_request(self) -> dict[str, Any]:
        """The mapping as the file spells it."""
        resources = [
            resource.dict(by_alias=True, exclude_none=True, exclude_unset=True)
            for resource in self.resources
        ]
        return {
            "deleteDependentEntities": self.delete_dependent_entities,
            "createMissingRelatedEntities": self.create_missing_related_entities,
            "enableMergeEntity": self.enable_merge_entity,
            "entityDeletionThreshold": self.entity_deletion_threshold,
            "resources": resources,
        }


IngestSearchQuery.update_forward_refs()

__all__ = [
    "CUSTOM_KIND",
    "EntityMapping",
    "IngestSearchQuery",
    "MappingsConfig",
    "PortAppConfig",
    "PortResourceConfig",
    "ResourceConfig",
    "Rule",
    "Selector",
]
__getattr__ = missing(__name__)
