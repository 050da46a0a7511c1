"""``validate_and_get_config_schema``: check an integration's mapping model and describe it
for a mapping editor, as the original's (``port_app_config.validators``).

The model is checked as the original checks it: every field of the tree has a title and
a description (the selector and the ``resources`` list may leave them out, since
integrations narrow their types), and ``kind`` tells the resource models apart (a
``Literal`` per model, at most one ``kind: str`` model, and that one only when the model
allows custom kinds). The answer is ``{"kinds": {kind: {...its field's metadata,
"selectors": its selector's JSON schema}}, "advancedConfig": {...the other top fields}}``.
"""

from __future__ import annotations

import importlib
import json
import types
import typing
from typing import Any, Literal

from pydantic.v1 import BaseModel

from port_ocean._unsupported import missing
from port_ocean.core.handlers.port_app_config.models import (
    CUSTOM_KIND,
    PortAppConfig,
    ResourceConfig,
    Selector,
)


def validate_and_get_config_schema(config_class: type[PortAppConfig]) -> dict[str, Any]:
    """The kinds and top-level settings of ``config_class``; ``TypeError`` or ``ValueError``
    for a model the original rejects."""
    _require_metadata(config_class, set())
    models = _resource_models(config_class)
    _check_kinds(models)
    return {
        "kinds": _kinds(models, config_class.allow_custom_kinds),
        "advancedConfig": _top(config_class),
    }


def _members(annotation: Any) -> list[Any]:
    """The types of a union, or the annotation alone."""
    if typing.get_origin(annotation) is typing.Union or isinstance(annotation, types.UnionType):
        return list(typing.get_args(annotation))
    return [annotation]


def _subclass(annotation: Any, base: type) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, base)


def _narrowable(annotation: Any) -> bool:
    """A selector, or a list of resource models: integrations narrow these types."""
    if _subclass(annotation, Selector):
        return True
    if typing.get_origin(annotation) is not list or not typing.get_args(annotation):
        return False
    return all(_subclass(m, ResourceConfig) for m in _members(typing.get_args(annotation)[0]))


def _inner_types(annotation: Any) -> list[type]:
    if typing.get_origin(annotation) is list and typing.get_args(annotation):
        annotation = typing.get_args(annotation)[0]
    return [m for m in _members(annotation) if isinstance(m, type)]


def _require_metadata(model: type, seen: set[type]) -> None:
    if model in seen or not _subclass(model, BaseModel):
        return
    seen.add(model)
    for name, field in model.__fields__.items():  # type: ignore[attr-defined]
        if not _narrowable(field.outer_type_):
            _require_texts(model, name, field.field_info)
        for inner in _inner_types(field.outer_type_):
            _require_metadata(inner, seen)


def _require_texts(model: type, name: str, field_info: Any) -> None:
    for part in ("title", "description"):
        if getattr(field_info, part) is None:
            raise TypeError(f"Field '{name}' in '{model.__name__}' must have a '{part}'")


def _resource_models(config_class: type[PortAppConfig]) -> list[Any]:
    field = config_class.__fields__.get("resources")
    arguments = typing.get_args(field.outer_type_) if field is not None else ()
    return _members(arguments[0]) if arguments else []


def _kind_of(model: type[ResourceConfig], allow_custom: bool) -> str:
    """The model's kind: its ``Literal`` value, or :data:`CUSTOM_KIND` for ``kind: str``."""
    field = model.__fields__.get("kind")
    if field is None:
        raise ValueError(f"{model.__name__} is missing the required 'kind' field")
    annotation = field.outer_type_
    if typing.get_origin(annotation) is Literal:
        values = typing.get_args(annotation)
        if len(values) != 1:
            raise ValueError(
                f"{model.__name__}: kind Literal must contain exactly one string value, "
                f"got {len(values)}: {values}"
            )
        return str(values[0])
    if annotation is str:
        if not allow_custom:
            raise ValueError(
                f"{model.__name__}: custom kinds are not allowed when allow_custom_kinds is False"
            )
        return CUSTOM_KIND
    raise ValueError(
        f"{model.__name__}: kind must be Literal['value'] or str "
        f"(when allow_custom_kinds=True), got {annotation}"
    )


def _check_kinds(models: list[Any]) -> None:
    """``kind`` tells the resource models apart: no kind twice, one ``kind: str`` at most."""
    owners: dict[str, str] = {}
    for model in (m for m in models if _subclass(m, ResourceConfig)):
        try:
            kind = _kind_of(model, allow_custom=True)
        except ValueError as error:
            raise TypeError(str(error)) from None
        if kind in owners:
            what = (
                "custom kind definitions ('kind: str')" if kind == CUSTOM_KIND else f"kind '{kind}'"
            )
            raise TypeError(
                f"Duplicate {what}: both {owners[kind]} and {model.__name__} define it; "
                "'kind' must be a unique discriminator across the resources union"
            )
        owners[kind] = model.__name__


def _json_safe(value: Any) -> bool:
    try:
        json.dumps(value)
    except (TypeError, ValueError, OverflowError):
        return False
    return True


def _metadata(field_info: Any) -> dict[str, Any]:
    """A field's settings that JSON can hold (``extra`` ones flattened in)."""
    found: dict[str, Any] = {}
    for name, value in field_info.__repr_args__():
        if name == "extra" and isinstance(value, dict):
            found.update({k: v for k, v in value.items() if _json_safe(v)})
        elif name is not None and _json_safe(value):
            found[name] = value
    return found


def _selector_schema(annotation: Any, model: type) -> dict[str, Any]:
    if isinstance(annotation, type) and hasattr(annotation, "schema"):
        return dict(annotation.schema())
    module = importlib.import_module(model.__module__)
    for value in vars(module).values():
        if _subclass(value, Selector) and value is not Selector:
            return dict(value.schema())
    return dict(Selector.schema())


def _kinds(models: list[Any], allow_custom: bool) -> dict[str, dict[str, Any]]:
    kinds: dict[str, dict[str, Any]] = {}
    for model in (m for m in models if _subclass(m, ResourceConfig)):
        kind = _kind_of(model, allow_custom)
        if kind != CUSTOM_KIND and kind in kinds:
            raise ValueError(f"Duplicate kind '{kind}' found in resource config models")
        entry = _metadata(model.__fields__["kind"].field_info)
        selector = model.__fields__.get("selector")
        if selector is not None:
            entry["selectors"] = _selector_schema(selector.outer_type_, model)
        kinds[kind] = entry
    return kinds


def _top(config_class: type[PortAppConfig]) -> dict[str, Any]:
    properties = config_class.schema().get("properties", {})
    return {name: value for name, value in properties.items() if name != "resources"}


__all__ = ["validate_and_get_config_schema"]
__getattr__ = missing(__name__)
