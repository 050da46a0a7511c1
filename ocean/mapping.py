"""The mapping (the original's port-app-config): which kinds to sync and how to map them.

Defaults follow the original's code, not its docs: ``deleteDependentEntities``,
``createMissingRelatedEntities`` and ``enableMergeEntity`` default to true and
``entityDeletionThreshold`` to 0.9.

The models are msgspec structs (validated in microseconds, imported in milliseconds: a
pydantic import alone cost every ``ocean`` command a tenth of a second). An integration
that brings its own mapping model (a pydantic subclass of ``port_ocean``'s models, or any
class with ``model_validate``) has the file validated by that model too; its objects are
kept beside Ocean's (``custom``) and are what the integration's code is handed.
"""

from __future__ import annotations

import copy
import difflib
import logging
import re
from pathlib import Path
from typing import Annotated, Any, TypeVar

import msgspec
import yaml
from msgspec import UNSET, Meta, Struct, UnsetType, field
from msgspec.structs import replace

from ocean.config.problems import located
from ocean.config.yaml_text import read_utf8, read_yaml
from ocean.errors import MappingError
from ocean.search_queries import query_problems, trim_queries

MappingLeaf = str | dict[str, Any]
_T = TypeVar("_T")
_LEAVES = ("identifier", "title", "icon", "team", "blueprint")


def leaf_as_text(value: Any) -> Any:
    """The original's config model types leaves as strings: ``3`` -> ``"3"``, ``true`` -> ``"True"``."""
    if isinstance(value, bool | int | float):
        return str(value)
    return value


class Selector:
    """``selector``: a JQ ``query`` that must yield a boolean, plus integration-specific
    fields (kept as attributes, as the original's ``extra = allow``)."""

    def __init__(self, query: str = "true", **extra: Any) -> None:
        self.query = query
        self.__dict__.update(extra)

    def __repr__(self) -> str:
        return f"Selector({', '.join(f'{k}={v!r}' for k, v in vars(self).items())})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Selector) and vars(self) == vars(other)


class EntityMappings(Struct, forbid_unknown_fields=True, kw_only=True):
    identifier: MappingLeaf
    blueprint: str
    title: MappingLeaf | None | UnsetType = UNSET
    icon: MappingLeaf | None | UnsetType = UNSET
    team: MappingLeaf | None | UnsetType = UNSET
    properties: dict[str, MappingLeaf] | UnsetType = UNSET
    relations: dict[str, MappingLeaf] | UnsetType = UNSET

    def leaves(self) -> dict[str, MappingLeaf | dict[str, MappingLeaf] | None]:
        """The mapped fields in the original's output order, only those the mapping sets."""
        order = ("identifier", "icon", "blueprint", "title", "team", "properties", "relations")
        values = {name: getattr(self, name) for name in order}
        return {name: value for name, value in values.items() if value is not UNSET}


class EntityMapping(Struct, forbid_unknown_fields=True):
    mappings: EntityMappings


class PortResourceConfig(
    Struct,
    forbid_unknown_fields=True,
    rename={
        "items_to_parse": "itemsToParse",
        "items_to_parse_name": "itemsToParseName",
        "items_to_parse_top_level_transform": "itemsToParseTopLevelTransform",
    },
):
    entity: EntityMapping
    items_to_parse: str | None = None
    items_to_parse_name: str = "item"
    items_to_parse_top_level_transform: bool = True


class ResourceConfig(
    Struct,
    forbid_unknown_fields=True,
    kw_only=True,
    rename={"expect_null": "expectNull", "enable_delete_given": "enableDelete"},
):
    """One entry of ``resources``: a kind, its selector and its entity mapping.

    A missing ``selector`` (or ``query``) is ``true`` here, where the original's model
    refuses the file."""

    kind: str
    selector: Selector = field(default_factory=Selector)
    port: PortResourceConfig
    enable_delete_given: bool | UnsetType = UNSET
    """``enableDelete`` as the file gives it (a boolean only: ``"false"`` and null are
    refused, as by the original's model); see :attr:`enable_delete`."""
    expect_null: list[str] | UnsetType = UNSET
    """Ocean's own key (the original's models ignore it): mapped fields that are null by
    design (``properties.url``, ``relations.*``), not reported as misconfigured."""
    custom: Any = None
    """The integration's own object for this resource (its mapping model's), if any."""

    @property
    def for_integration(self) -> Any:
        """What the integration's code is handed: its own model's object, else this."""
        return self if self.custom is None else self.custom

    @property
    def enable_delete(self) -> bool:
        """``enableDelete`` (default true). Like the original (0.56.2), Ocean keeps it in
        the mapping and does not act on it: a resync deletes the resource's stale
        entities either way."""
        return self.enable_delete_given is not False


class PortAppConfig(
    Struct,
    forbid_unknown_fields=True,
    rename={
        "delete_dependent_entities": "deleteDependentEntities",
        "create_missing_related_entities": "createMissingRelatedEntities",
        "enable_merge_entity": "enableMergeEntity",
        "entity_deletion_threshold": "entityDeletionThreshold",
    },
):
    """The whole mapping file."""

    delete_dependent_entities: bool = True
    create_missing_related_entities: bool = True
    enable_merge_entity: bool = True
    entity_deletion_threshold: Annotated[float, Meta(ge=0, le=1)] = 0.9
    resources: list[ResourceConfig] = field(default_factory=list)
    custom: Any = None
    """The integration's own object for the whole file (its mapping model's), if any."""

    @property
    def kinds(self) -> list[str]:
        """Kinds in resource order, each once."""
        return list(dict.fromkeys(resource.kind for resource in self.resources))

    @property
    def for_integration(self) -> Any:
        """What the integration's code is handed: its own model's object, else this."""
        return self if self.custom is None else self.custom


def parse_resource(data: Any, *, source: str = "resource") -> ResourceConfig:
    """Validate one entry of ``resources``."""
    try:
        resource = _convert(_texts(data), ResourceConfig)
    except msgspec.ValidationError as error:
        raise MappingError(_describe(source, [_problem("", error)])) from None
    problems = query_problems("", resource.port.entity.mappings)
    if problems:
        raise MappingError(_describe(source, problems))
    trim_queries(resource.port.entity.mappings)
    return resource


def parse_mapping(data: Any, *, source: str = "mapping", model: Any = None) -> PortAppConfig:
    """Validate a mapping document, reporting the first problem of every broken part at
    once; ``model`` is the integration's own mapping model (validated too, kept as
    ``custom``), or None."""
    if not isinstance(data, dict):
        raise MappingError(_describe(source, [f"(root): expected a mapping, got {data!r:.80}"]))
    custom = _custom(model, data, source)
    lenient = custom is not None  # the integration's model owns the fields Ocean does not know
    resources, problems = _resources(data.get("resources", []), lenient)
    top = {k: v for k, v in data.items() if k != "resources" and (not lenient or k in _TOP)}
    try:
        config = _convert(top, PortAppConfig)
    except msgspec.ValidationError as error:
        problems.insert(0, _problem("", error))
    if problems:
        raise MappingError(_describe(source, problems))
    config.resources = resources
    if custom is not None:
        config.custom = custom
        for resource, own in zip(resources, getattr(custom, "resources", []), strict=False):
            resource.custom = own
    return config


def load_mapping(path: Path, *, model: Any = None) -> PortAppConfig:
    """Read a port-app-config file (YAML or JSON), validated (``model``: see :func:`parse_mapping`)."""
    try:
        data = read_yaml(read_utf8(path, MappingError))
    except (OSError, yaml.YAMLError) as error:
        raise MappingError(f"cannot read the mapping {path}: {error}") from None
    if data is None:
        raise MappingError(
            f"the mapping {path} is empty: write the resources to sync there, e.g.\n"
            f"{_EXAMPLE}(or `resources: []` to sync nothing)"
        )
    return parse_mapping(data, source=str(path), model=model)


_EXAMPLE = """resources:
  - kind: repository
    selector: {query: 'true'}
    port:
      entity:
        mappings: {identifier: .id, title: .name, blueprint: '"service"'}
"""


def to_document(value: PortAppConfig | ResourceConfig) -> dict[str, Any]:
    """The mapping as the file spells it (camelCase keys, every field), as JSON values."""
    if isinstance(value, PortAppConfig):
        resources = [replace(resource, custom=None) for resource in value.resources]
        value = replace(value, resources=resources)
    document: dict[str, Any] = msgspec.to_builtins(replace(value, custom=None), enc_hook=_encode)
    return _without_custom(document)


_FORMAT_KEYS = frozenset(
    key
    for struct in (PortAppConfig, ResourceConfig, PortResourceConfig, EntityMapping, EntityMappings)
    for key in struct.__struct_encode_fields__
) - {"custom"}
"""Every key of the port-app-config format (a misspelt one is named with the key meant)."""
_TOP = frozenset(PortAppConfig.__struct_encode_fields__) - {"resources", "custom"}
_RESOURCE = frozenset(ResourceConfig.__struct_encode_fields__) - {"custom"}


def _resources(data: Any, lenient: bool) -> tuple[list[ResourceConfig], list[str]]:
    if not isinstance(data, list):
        return [], [f"resources: expected a list, got {data!r:.80}"]
    resources, problems = [], []
    for index, item in enumerate(data):
        if lenient and isinstance(item, dict):
            item = {k: v for k, v in item.items() if k in _RESOURCE}
        try:
            converted = _convert_leniently if lenient else _convert
            resource = converted(_texts(item), ResourceConfig, f"resources.{index}")
        except msgspec.ValidationError as error:
            problems.append(_problem(f"resources.{index}", error))
            continue
        resources.append(resource)
        _selector_near_misses(f"resources.{index}", resource.selector)
        found = query_problems(f"resources.{index}", resource.port.entity.mappings)
        if not found:
            trim_queries(resource.port.entity.mappings)
        problems += found
    return resources, problems


_UNKNOWN = re.compile(
    r"Object contains unknown field `(?P<key>[^`]+)`(?: - at `\$(?P<path>[^`]*)`)?$"
)
_log = logging.getLogger(__name__)


def _convert_leniently(data: Any, kind: type[_T], where: str = "") -> _T:
    """As :func:`_convert`, but keys Ocean's format does not know are left out with a
    warning, at any depth: the integration's own model validates the file, and the
    original ignores what its models do not declare."""
    data = copy.deepcopy(data)
    while True:
        try:
            return _convert(data, kind)
        except msgspec.ValidationError as error:
            found = _UNKNOWN.match(str(error))
            if found is None:
                raise
            parent = _at(data, found["path"] or "")
            if not isinstance(parent, dict) or found["key"] not in parent:
                raise
            del parent[found["key"]]
            path = re.sub(r"\[(\d+)\]", r".\1", found["path"] or "")
            _log.warning(
                "%s%s.%s is not in the port-app-config format: ignored, as the original "
                "ignores it (the integration's own mapping model validates the file)%s",
                where,
                path,
                found["key"],
                _meant(found["key"]),
            )


def _at(data: Any, path: str) -> Any:
    """The value at a msgspec path (``.port.entity``, ``[0]``)."""
    for name, index in re.findall(r"\.([^.\[]+)|\[(\d+)\]", path):
        data = data[int(index)] if index else data.get(name) if isinstance(data, dict) else None
    return data


def _custom(model: Any, data: dict[str, Any], source: str) -> Any:
    """The integration's own model's object for the file (its errors are reported in its
    own words), or None without a model."""
    if model is None:
        return None
    try:
        return model.model_validate(data)
    except ValueError as error:  # pydantic's ValidationError is a ValueError
        raise MappingError(_describe(source, [str(error)])) from None


def _convert(data: Any, kind: type[_T], where: str = "") -> _T:
    if isinstance(data, dict) and "custom" in data:
        raise msgspec.ValidationError("Object contains unknown field `custom`")
    return msgspec.convert(data, kind, dec_hook=_decode)


def _decode(kind: type[Any], value: Any) -> Any:
    if kind is Selector:
        if not isinstance(value, dict) or not all(isinstance(k, str) for k in value):
            raise ValueError(f"Expected `object`, got `{type(value).__name__}`")
        query = leaf_as_text(value.get("query", "true"))
        if not isinstance(query, str):
            raise ValueError(f"query: Expected `str`, got `{type(query).__name__}`")
        return Selector(**{**value, "query": query})
    raise NotImplementedError(kind)


def _encode(value: Any) -> Any:
    if isinstance(value, Selector):
        return dict(vars(value))
    raise NotImplementedError(type(value))


def _without_custom(document: dict[str, Any]) -> dict[str, Any]:
    document.pop("custom", None)
    for resource in document.get("resources", []):
        resource.pop("custom", None)
    return document


def _texts(resource: Any) -> Any:
    """The resource with its mapping's leaves as text (see :func:`leaf_as_text`)."""
    try:
        mappings = resource["port"]["entity"]["mappings"]
    except (KeyError, TypeError):
        return resource
    if not isinstance(mappings, dict):
        return resource
    texts = {k: leaf_as_text(v) if k in _LEAVES else v for k, v in mappings.items()}
    for section in ("properties", "relations"):
        if isinstance(texts.get(section), dict):
            texts[section] = {k: leaf_as_text(v) for k, v in texts[section].items()}
    port = resource["port"]
    return {**resource, "port": {**port, "entity": {**port["entity"], "mappings": texts}}}


def _problem(prefix: str, error: msgspec.ValidationError) -> str:
    path, message = located(error)
    where = ".".join(part for part in (prefix, path) if part) or "(root)"
    if message.startswith("Expected `bool`"):
        message += " (write true or false, without quotes)"
    elif message.startswith("unknown key"):
        message += _meant(where.rsplit(".", 1)[-1])
    return f"{where}: {message}"


def _meant(key: str) -> str:
    """`` (did you mean `properties`?)`` for a key close to one of the format's, else
    nothing."""
    close = difflib.get_close_matches(key, _FORMAT_KEYS, n=1, cutoff=0.8)
    return f" (did you mean `{close[0]}`?)" if close else ""


def _selector_near_misses(where: str, selector: Selector) -> None:
    """Warn of a selector key that is likely a misspelt ``query`` (kept, as an integration's
    selector may have fields of its own; the query is then ``true``: every item synced)."""
    for key in vars(selector):
        if key != "query" and difflib.get_close_matches(key, ["query"], cutoff=0.8):
            _log.warning(
                "%s.selector.%s is not the selector's query (did you mean `query`?): the "
                "query is %r, so every item it lets through is synced",
                where,
                key,
                selector.query,
            )


def _describe(source: str, problems: list[str]) -> str:
    lines = [f"{source} does not validate ({len(problems)} problem(s)):"]
    lines += [f"  - {problem}" for problem in problems]
    lines.append("Fix these keys; the format is the original Ocean's port-app-config.yml.")
    return "\n".join(lines)
