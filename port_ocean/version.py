"""``port_ocean.version``: the framework's version (Ocean's) and the integration's (its
pyproject.toml in the working directory, as the original reads it)."""

from __future__ import annotations

import tomllib
from pathlib import Path

from ocean.version import __version__
from port_ocean._unsupported import missing


def get_integration_version(folder: Path = Path()) -> str:
    """The version pyproject.toml gives (``[project]`` or ``[tool.poetry]``), else ``""``."""
    try:
        document = tomllib.loads((folder / "pyproject.toml").read_text())
    except (OSError, tomllib.TOMLDecodeError):
        return ""
    project, poetry = document.get("project", {}), document.get("tool", {}).get("poetry", {})
    return str(project.get("version") or poetry.get("version") or "")


__integration_version__ = get_integration_version()

__all__ = ["__integration_version__", "__version__", "get_integration_version"]
__getattr__ = missing(__name__)
