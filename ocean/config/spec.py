"""``.port/spec.yaml``: the integration's type, features and typed configuration fields."""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

import msgspec
import yaml
from msgspec import Struct

from ocean.config.naming import snake_case
from ocean.config.settings import BOOLEAN_WORDS
from ocean.config.yaml_text import read_utf8, read_yaml
from ocean.errors import ConfigError

_log = logging.getLogger(__name__)

FieldType = Literal["string", "integer", "boolean", "object", "array", "url"]


class ConfigField(Struct, kw_only=True):
    name: str
    type: FieldType = "string"
    required: bool = False
    default: Any = None
    sensitive: bool = False
    description: str | None = None


class IntegrationSpec(Struct, kw_only=True):
    type: str | None = None
    title: str | None = None
    features: list[dict[str, Any]] = msgspec.field(default_factory=list)
    configurations: list[ConfigField] = msgspec.field(default_factory=list)


def load_spec(port_dir: Path) -> IntegrationSpec:
    """Read ``spec.yaml`` / ``spec.yml`` / ``spec.json``; a folder without one has no
    config fields, which a warning says."""
    for name in ("spec.yaml", "spec.yml", "spec.json"):
        path = port_dir / name
        if path.is_file():
            try:
                document = read_yaml(read_utf8(path, ConfigError)) or {}
                return msgspec.convert(document, IntegrationSpec)
            except (yaml.YAMLError, msgspec.ValidationError) as error:
                raise ConfigError(f"{path} is invalid: {error}") from None
    _log.warning(
        "%s not found: assuming an integration without configuration fields "
        "(ocean.integration_config is empty, nothing is required). If main.py reads any, "
        "add it with `type:` and `configurations:` (name, type, required, default).",
        port_dir / "spec.yaml",
    )
    return IntegrationSpec()


def build_integration_config(
    spec: IntegrationSpec, *, environ: Mapping[str, str], from_file: Mapping[str, Any]
) -> dict[str, Any]:
    """Fill the spec's fields from ``OCEAN__INTEGRATION__CONFIG__*`` (wins) and config.yaml.

    Keys are snake_case. Every missing required field and every badly typed value is
    reported in one :class:`ConfigError`.
    """
    given = {snake_case(str(k)): v for k, v in from_file.items()}
    prefix = "OCEAN__INTEGRATION__CONFIG__"
    given |= {
        k[len(prefix) :].lower(): v for k, v in environ.items() if k.upper().startswith(prefix)
    }
    config = dict(given)
    problems: list[str] = []
    for field in spec.configurations:
        key, env_name = snake_case(field.name), f"{prefix}{snake_case(field.name).upper()}"
        raw = given.get(key, field.default)
        if raw is None or raw == "":
            config[key] = None
            if field.required:
                problems.append(
                    f"{field.name}: required, not set (set {env_name} or integration.config.{field.name} in config.yaml)"
                )
            continue
        try:
            config[key] = _coerce(raw, field.type)
        except ValueError as error:
            reason = (
                f"not a valid {field.type} (sensitive: not shown)" if field.sensitive else error
            )
            problems.append(f"{field.name}: {reason} (from {env_name} or config.yaml)")
    if problems:
        raise ConfigError(
            "the integration configuration is incomplete:\n  - " + "\n  - ".join(problems)
        )
    return config


def _coerce(value: Any, kind: FieldType) -> Any:
    if kind == "integer":
        if isinstance(value, bool) or not str(value).strip().lstrip("-").isdigit():
            raise ValueError(f"expected an integer, got {value!r}")
        return int(value)
    if kind == "boolean":
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text not in BOOLEAN_WORDS:
            raise ValueError(f"expected true or false, got {value!r}")
        return BOOLEAN_WORDS[text]
    if kind in ("object", "array"):
        return _structured(value, dict if kind == "object" else list)
    if kind == "url":
        text = str(value).strip()
        if "://" not in text:
            raise ValueError(f"expected a URL such as https://example.com, got {value!r}")
        return text.rstrip("/")
    return str(value)


def _structured(value: Any, expected: type) -> Any:
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            raise ValueError(
                f"expected JSON for a {expected.__name__}, got {value!r:.60}"
            ) from None
    if not isinstance(value, expected):
        raise ValueError(f"expected a {expected.__name__}, got {type(value).__name__}")
    return value
