"""The original's optional ``config.yaml``: camelCase keys, ``{{ from env X }}`` values.

As in the original, the keys of the settings' sections are snake_cased, and of an object
setting (``integration.config``) only its own names: what such a value holds (a token
mapping, custom headers or bodies) is kept as written.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from ocean.config.settings import Settings, settings_keys
from ocean.config.yaml_text import read_utf8, read_yaml
from ocean.errors import ConfigError

_FROM_ENV = re.compile(r"^\{\{\s*from\s+env\s+(\S+)\s*\}\}$")
_UNSET = object()


@dataclass(frozen=True)
class ConfigFile:
    """``config.yaml`` read: its settings, and the templates whose variable is not set."""

    values: dict[str, Any] = field(default_factory=dict)
    unset: dict[tuple[str, ...], str] = field(default_factory=dict)
    """Where a ``{{ from env X }}`` names a variable that is not set (the key is left out):
    its snake_case path (``("port", "client_secret")``) -> ``X``."""

    def unset_under(self, *path: str) -> dict[str, str]:
        """The keys directly under ``path`` left out for an unset variable -> the variable."""
        depth = len(path)
        return {
            at[depth]: name
            for at, name in self.unset.items()
            if len(at) == depth + 1 and at[:depth] == path
        }


def read_config_file(path: Path, environ: Mapping[str, str]) -> ConfigFile:
    """Read ``config.yaml`` with snake_case keys and resolved templates (missing vars
    dropped), saying which templates named a variable that is not set."""
    if not path.is_file():
        return ConfigFile()
    try:
        data = read_yaml(read_utf8(path, ConfigError)) or {}
    except yaml.YAMLError as error:
        raise ConfigError(f"{path} is not valid YAML: {error}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path} must hold a mapping of settings, not a {type(data).__name__}")
    unset: dict[tuple[str, ...], str] = {}
    resolved = _resolve(settings_keys(data, Settings), environ, (), unset)
    return ConfigFile(resolved if isinstance(resolved, dict) else {}, unset)


def _resolve(
    value: Any, environ: Mapping[str, str], at: tuple[str, ...], unset: dict[tuple[str, ...], str]
) -> Any:
    if isinstance(value, dict):
        pairs = (
            (key, _resolve(item, environ, (*at, str(key)), unset)) for key, item in value.items()
        )
        return {key: item for key, item in pairs if item is not _UNSET}
    if isinstance(value, list):
        items = (_resolve(item, environ, (*at, str(n)), unset) for n, item in enumerate(value))
        return [item for item in items if item is not _UNSET]
    if isinstance(value, str) and (match := _FROM_ENV.match(value.strip())):
        if match.group(1) not in environ:
            unset[at] = match.group(1)
        return environ.get(match.group(1), _UNSET)
    return value
