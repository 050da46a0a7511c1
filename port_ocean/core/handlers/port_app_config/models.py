"""The mapping models (``port_ocean.core.handlers.port_app_config.models``), in pydantic v2.

Custom integrations subclass them (``class MySelector(Selector): ...``) and name their
``PortAppConfig`` subclass as ``CONFIG_CLASS``. Ocean validates the mapping file with
that model as well as with its own (:mod:`ocean.mapping`, which reads the fields both
know) and hands the integration's code this model's objects (``event.resource_config``,
a webhook processor's ``resource_config``). Only integrations that import this module pay
for importing pydantic.
"""

from __future__ import annotations

import re
import types
import typing
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

from ocean.mapping import leaf_as_text
from port_ocean._unsupported import missing


def _leaf(value: Any) -> Any:
    """A mapping leaf as the file has it: a search query object becomes its dict."""
    if isinstance(value, BaseModel):
        return value.model_dump(by_alias=True)
    return leaf_as_text(value)


JqText = Annotated[str, BeforeValidator(leaf_as_text)]
MappingLeaf = Annotated[str | dict[str, Any], BeforeValidator(_leaf)]


def _optional(annotation: Any) -> bool:
    """Whether a field's annotation admits None (``X | None``, ``Optional[X]``), also when
    it is still text (``from __future__ import annotations``)."""
    if isinstance(annotation, str):
        text = annotation.replace(" ", "").removeprefix("typing.")
        if text.startswith(("Optional[", "Union[")):
            return text.startswith("Optional[") or re.search(r"[\[,]None[\],]", text) is not None
        return "None" in _top_level_union(text)
    union_types = (typing.Union, types.UnionType)
    return typing.get_origin(annotation) in union_types and type(None) in typing.get_args(
        annotation
    )


def _top_level_union(text: str) -> list[str]:
    """The members of ``a | b | c``, brackets left whole (``list[str | None]`` is one)."""
    members, depth, start = [], 0, 0
    for position, character in enumerate(text):
        depth += {"[": 1, "]": -1}.get(character, 0)
        if character == "|" and depth == 0:
            members.append(text[start:position])
            start = position + 1
    return [*members, text[start:]]


class _OriginalDefaults(BaseModel):
    """Subclasses written for the original (pydantic v1) keep v1's meaning: a field that
    admits None and has no default defaults to None (pydantic v2 would require it), so
    ``jql: str | None = Field(description=...)`` may be left out of the mapping."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        for name, annotation in cls.__dict__.get("__annotations__", {}).items():
            value = cls.__dict__.get(name, PydanticUndefined)
            if type(value).__module__ == "pydantic.v1.fields":  # Field() of pydantic.v1
                value = _from_v1(value)
                setattr(cls, name, value)
            if not _optional(annotation):
                continue
            if value is PydanticUndefined:
                setattr(cls, name, None)
            elif isinstance(value, FieldInfo) and value.is_required():
                setattr(cls, name, FieldInfo.merge_field_infos(value, default=None))
        super().__init_subclass__(**kwargs)


_V1_FIELD_SETTINGS = ("alias", "title", "description", "ge", "gt", "le", "lt")


def _from_v1(info: Any) -> Any:
    """The pydantic v2 ``Field`` of a pydantic.v1 ``Field(...)`` (what mapping models use
    of it: default, default factory, alias, texts and bounds)."""
    settings = {
        key: getattr(info, key) for key in _V1_FIELD_SETTINGS if getattr(info, key) is not None
    }
    if info.default_factory is not None:
        return Field(default_factory=info.default_factory, **settings)
    given = type(info.default).__name__ != "UndefinedType" and info.default is not Ellipsis
    return Field(info.default if given else PydanticUndefined, **settings)


class _Model(_OriginalDefaults):
    model_config = ConfigDict(populate_by_name=True, extra="forbid")


class Selector(_OriginalDefaults):
    model_config = ConfigDict(populate_by_name=True, extra="allow")
    query: JqText = "true"


class Rule(_Model):
    """One rule of a search query (``{"property": ..., "operator": ..., "value": ...}``)."""

    property: str
    operator: str
    value: str


class IngestSearchQuery(_Model):
    """A search query mapped to an identifier, a team or a relation."""

    combinator: str
    rules: list[Rule | IngestSearchQuery]


class EntityMapping(_Model):
    """An entity's fields, each a JQ text (the original's ``EntityMapping``)."""

    identifier: MappingLeaf
    blueprint: JqText
    title: MappingLeaf | None = None
    icon: MappingLeaf | None = None
    team: MappingLeaf | None = None
    properties: dict[str, MappingLeaf] = Field(default_factory=dict)
    relations: dict[str, MappingLeaf] = Field(default_factory=dict)


class MappingsConfig(_Model):
    """``entity:`` of a resource: its ``mappings``."""

    mappings: EntityMapping


class PortResourceConfig(_Model):
    entity: MappingsConfig
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


__all__ = [
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
