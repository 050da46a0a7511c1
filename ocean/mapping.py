"""The mapping (the original's port-app-config): which kinds to sync and how to map them.

Defaults follow the original's code, not its docs: ``deleteDependentEntities``,
``createMissingRelatedEntities`` and ``enableMergeEntity`` default to true and
``entityDeletionThreshold`` to 0.9.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import yaml
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError

from ocean.errors import MappingError


def leaf_as_text(value: Any) -> Any:
    """The original's config model types leaves as strings: ``3`` -> ``"3"``, ``true`` -> ``"True"``."""
    if isinstance(value, bool | int | float):
        return str(value)
    return value


JqText = Annotated[str, BeforeValidator(leaf_as_text)]
MappingLeaf = Annotated[str | dict[str, Any], BeforeValidator(leaf_as_text)]


class _Model(BaseModel):
    model_config = ConfigDict(populate_by_name=True, extra="forbid")


class Selector(BaseModel):
    """``selector``: a JQ ``query`` that must yield a boolean, plus integration-specific fields."""

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

    def leaves(self) -> dict[str, MappingLeaf | dict[str, MappingLeaf]]:
        """The mapped fields in the original's output order, only those the mapping sets."""
        order = ("identifier", "icon", "blueprint", "title", "team", "properties", "relations")
        return {name: getattr(self, name) for name in order if name in self._present()}

    def _present(self) -> set[str]:
        return self.model_fields_set | {"identifier", "blueprint"}


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
    """One entry of ``resources``: a kind, its selector and its entity mapping."""

    kind: str
    selector: Selector = Field(default_factory=Selector)
    port: PortResourceConfig


class PortAppConfig(_Model):
    """The whole mapping file."""

    delete_dependent_entities: bool = Field(default=True, alias="deleteDependentEntities")
    create_missing_related_entities: bool = Field(
        default=True, alias="createMissingRelatedEntities"
    )
    enable_merge_entity: bool = Field(default=True, alias="enableMergeEntity")
    entity_deletion_threshold: float = Field(
        default=0.9, ge=0, le=1, alias="entityDeletionThreshold"
    )
    resources: list[ResourceConfig] = Field(default_factory=list)

    @property
    def kinds(self) -> list[str]:
        """Kinds in resource order, each once."""
        return list(dict.fromkeys(resource.kind for resource in self.resources))


def parse_mapping(
    data: Any, *, source: str = "mapping", model: type[PortAppConfig] = PortAppConfig
) -> PortAppConfig:
    """Validate a mapping document, reporting every problem with its path at once."""
    try:
        return model.model_validate(data)
    except ValidationError as error:
        raise MappingError(_describe(error, source)) from None


def load_mapping(path: Path, *, model: type[PortAppConfig] = PortAppConfig) -> PortAppConfig:
    """Read a port-app-config file (YAML or JSON), validated with ``model``."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as error:
        raise MappingError(f"cannot read the mapping {path}: {error}") from None
    return parse_mapping(data or {}, source=str(path), model=model)


def _describe(error: ValidationError, source: str) -> str:
    lines = [f"{source} does not validate ({error.error_count()} problem(s)):"]
    for problem in error.errors():
        where = ".".join(str(part) for part in problem["loc"]) or "(root)"
        lines.append(f"  - {where}: {problem['msg']} (got {problem.get('input')!r:.80})")
    lines.append("Fix these keys; the format is the original Ocean's port-app-config.yml.")
    return "\n".join(lines)
