"""``.port/spec.yaml``: the integration's type, features and typed configuration fields."""

from __future__ import annotations

import difflib
import json
import logging
import re
import urllib.parse
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal, get_args

import msgspec
import yaml
from msgspec import Struct

from ocean.config.naming import snake_case
from ocean.config.settings import BOOLEAN_WORDS, deep_merge, environ_settings
from ocean.config.yaml_text import read_utf8, read_yaml
from ocean.errors import ConfigError

_log = logging.getLogger(__name__)

_PREFIX = "OCEAN__INTEGRATION__CONFIG__"
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
                _warn_unknown_keys(path, document)
                return msgspec.convert(document, IntegrationSpec)
            except (yaml.YAMLError, msgspec.ValidationError) as error:
                raise ConfigError(f"{path} is invalid: {error}{_hint(error)}") from None
    _log.warning(
        "%s not found: assuming an integration without configuration fields "
        "(ocean.integration_config is empty, nothing is required). If main.py reads any, "
        "add it with `type:` and `configurations:` (name, type, required, default).",
        port_dir / "spec.yaml",
    )
    return IntegrationSpec()


def _hint(error: Exception) -> str:
    """The types a configuration field may have, when its type is what is wrong."""
    if re.search(r"configurations\[\d+\]\.type`", str(error)):
        return f" (a field's type is one of: {', '.join(get_args(FieldType))})"
    return ""


_FIELD_KEYS = ("name", "type", "required", "default", "sensitive", "description")
_OTHER_FIELD_KEYS = frozenset(("dependencies", "enum", "example", "format", "items", "title"))
"""Keys of a configuration field that the original's integrations write and Ocean does
not read (no warning)."""


def _warn_unknown_keys(path: Path, document: Any) -> None:
    """A warning per key of a ``configurations`` entry that is not a field's key (a
    misspelt ``requried: true`` would otherwise leave the field optional)."""
    entries = document.get("configurations") if isinstance(document, dict) else None
    for number, entry in enumerate(entries if isinstance(entries, list) else []):
        if not isinstance(entry, dict):
            continue
        for key in entry.keys() - {*_FIELD_KEYS, *_OTHER_FIELD_KEYS}:
            meant = difflib.get_close_matches(str(key), _FIELD_KEYS, n=1, cutoff=0.6)
            _log.warning(
                "%s: configuration %s has the unknown key %r, which is ignored%s (known: %s)",
                path,
                repr(entry["name"]) if "name" in entry else f"#{number + 1}",
                key,
                f"; did you mean {meant[0]!r}?" if meant else "",
                ", ".join(_FIELD_KEYS),
            )


def build_integration_config(
    spec: IntegrationSpec,
    *,
    environ: Mapping[str, str],
    from_file: Mapping[str, Any],
    overrides: Mapping[str, Any] | None = None,
    unset_in_file: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """Fill the spec's fields from config.yaml's ``integration.config``, the
    ``OCEAN__INTEGRATION__CONFIG__*`` variables (or ``OCEAN__INTEGRATION__CONFIG``'s JSON)
    over it, and ``overrides`` (the original's ``config_override``) over both.

    Keys are snake_case; an empty value is unset (the spec's default holds).
    ``unset_in_file`` names, per key, the variable config.yaml's ``{{ from env X }}`` reads
    it from when that variable is not set. Every missing required field and every badly
    typed value is reported in one :class:`ConfigError`.
    """
    from_environ = environ_settings(environ).get("integration", {})
    layers = (from_file, from_environ.get("config") if isinstance(from_environ, dict) else {})
    given: dict[str, Any] = {}
    for layer in (*layers, overrides or {}):
        if isinstance(layer, Mapping):  # an empty value is unset: the layer below holds
            named = {snake_case(str(k)): v for k, v in layer.items() if v != ""}
            given = deep_merge(given, named)
    config = dict(given)
    problems: list[str] = []
    unset = 0
    for field in spec.configurations:
        key = snake_case(field.name)
        raw = given.get(key)
        from_spec = raw is None or raw == ""
        if from_spec:
            raw = field.default
        if raw is None or raw == "":
            config[key] = None
            if field.required:
                problems.append(_unset(field.name, (unset_in_file or {}).get(key)))
                unset += 1
            continue
        try:
            config[key] = _coerce(raw, field.type)
        except ValueError as error:
            reason = (
                f"not a valid {field.type} (sensitive: not shown)" if field.sensitive else error
            )
            where = (
                f"the default in .port/spec.yaml: fix it there, or set {_PREFIX}{key.upper()}"
                if from_spec
                else f"from {_PREFIX}{key.upper()} or config.yaml"
            )
            problems.append(f"{field.name}: {reason} ({where})")
    if problems:
        raise _refused(problems, unset)
    return config


def _refused(problems: list[str], unset: int) -> ConfigError:
    """The error listing ``problems``, ``unset`` of which are required fields
    not set (the others values that are wrong)."""
    wrong = len(problems) - unset
    heading = "incomplete or invalid" if unset and wrong else "invalid" if wrong else "incomplete"
    return ConfigError(
        f"the integration configuration is {heading}:\n  - " + "\n  - ".join(problems)
    )


def sensitive_values(spec: IntegrationSpec, config: Mapping[str, Any]) -> list[str]:
    """The texts of the values the spec marks ``sensitive``: a string, a number, and an
    object's keys (a token mapping's tokens) and texts at any depth."""
    found: list[str] = []
    for field in spec.configurations:
        if field.sensitive:
            found.extend(_texts(config.get(snake_case(field.name))))
    return found


def _texts(value: Any) -> list[str]:
    """The texts of a sensitive value to mask: the value itself, or, inside an object or
    a list (a token mapping, a cluster's settings), its keys and values that look like
    secrets rather than names (:func:`_secret_like`): masking ``events`` or
    ``bootstrap.servers`` would garble every line that names them."""
    if isinstance(value, dict):
        parts = [text for key, item in value.items() for text in (str(key), *_texts(item))]
    elif isinstance(value, list):
        parts = [text for item in value for text in _texts(item)]
    elif isinstance(value, bool) or value is None:
        return []
    else:
        return [str(value)]
    return [text for text in parts if _secret_like(text)]


_NAME_LIKE = re.compile(r"[a-z][a-z0-9._/*-]*")
"""A lowercase name (``push_events``, ``my-org/platform``, ``sasl.mechanism``)."""


def _secret_like(text: str) -> bool:
    """Whether a part of a sensitive object may be a secret: 8 characters or more, and not
    a lowercase name without digits."""
    return len(text) >= 8 and not (
        _NAME_LIKE.fullmatch(text) and not any(c.isdigit() for c in text)
    )


def _unset(name: str, variable: str | None) -> str:
    env_name = f"{_PREFIX}{snake_case(name).upper()}"
    if variable is None:
        return f"{name}: required, not set (set {env_name} or integration.config.{name} in config.yaml)"
    return (
        f"{name}: required, not set: config.yaml reads it from the environment variable "
        f"{variable}, which is not set (set {variable}, or {env_name})"
    )


def _coerce(value: Any, kind: FieldType) -> Any:
    if kind == "integer":
        return _integer(value)
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
        return _url(value)
    if isinstance(value, dict | list):  # (as the original's pydantic: only a scalar is text)
        raise ValueError(
            f"expected text, got {'an object' if isinstance(value, dict) else 'a list'}"
        )
    return str(value)


def _integer(value: Any) -> int:
    """``value`` as the original's pydantic takes an integer (``+50``, `` 7 ``, ``5.0``),
    where nothing is lost: a fraction (``5.5``, which pydantic cuts to 5) is refused."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, bool) or not _INTEGER.fullmatch(str(value).strip()):
        raise ValueError(f"expected an integer, got {value!r}")
    return int(value)


_INTEGER = re.compile(r"[+-]?\d+")


def _url(value: Any) -> str:
    """An absolute URL (a scheme and a host, no spaces), without its trailing slash."""
    text = str(value).strip()
    try:
        parts = urllib.parse.urlsplit(text)
    except ValueError:  # an unclosed IPv6 bracket
        parts = urllib.parse.urlsplit("")
    if not (parts.scheme and parts.hostname) or any(c.isspace() for c in text):
        raise ValueError(f"expected a URL such as https://example.com, got {value!r}")
    return text.rstrip("/")


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
