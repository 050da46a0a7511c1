"""The original's optional ``config.yaml``: camelCase keys, ``{{ from env X }}`` values."""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from ocean.config.naming import snake_case
from ocean.config.yaml_text import read_yaml
from ocean.errors import ConfigError

_FROM_ENV = re.compile(r"^\{\{\s*from\s+env\s+(\S+)\s*\}\}$")
_UNSET = object()


def load_config_file(path: Path, environ: Mapping[str, str]) -> dict[str, Any]:
    """Read ``config.yaml`` with snake_case keys and resolved templates (missing vars dropped)."""
    if not path.is_file():
        return {}
    try:
        data = read_yaml(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as error:
        raise ConfigError(f"{path} is not valid YAML: {error}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path} must hold a mapping of settings, not a {type(data).__name__}")
    resolved = _resolve(data, environ)
    return resolved if isinstance(resolved, dict) else {}


def _resolve(value: Any, environ: Mapping[str, str]) -> Any:
    if isinstance(value, dict):
        pairs = ((snake_case(str(k)), _resolve(v, environ)) for k, v in value.items())
        return {key: item for key, item in pairs if item is not _UNSET}
    if isinstance(value, list):
        return [item for item in (_resolve(v, environ) for v in value) if item is not _UNSET]
    if isinstance(value, str) and (match := _FROM_ENV.match(value.strip())):
        return environ.get(match.group(1), _UNSET)
    return value
