"""What the runner configures an integration with, and that configuration while the
integration's ``main.py`` is being imported.

The runner configures the integration object once ``main.py`` has made it. Code that runs
during the import itself (a module-level ``ocean.integration_config["token"]``, allowed by
the original, whose ``ocean`` exists before ``main.py`` runs) reads the configuration the
runner is importing the folder with: it is bound for the import only, in a context
variable, and nowhere else.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from ocean.config.settings import Settings


@dataclass(frozen=True)
class Configuration:
    """An integration's validated configuration (snake_case keys) and the run's settings."""

    config: dict[str, Any]
    settings: Settings = field(default_factory=Settings)


_IMPORTING: ContextVar[Configuration | None] = ContextVar("ocean_importing", default=None)


@contextlib.contextmanager
def importing_with(configuration: Configuration) -> Iterator[None]:
    """Within: integrations read ``configuration`` until they are configured."""
    token = _IMPORTING.set(configuration)
    try:
        yield
    finally:
        _IMPORTING.reset(token)


def being_imported() -> Configuration | None:
    """The configuration of the folder whose ``main.py`` is being imported, if any."""
    return _IMPORTING.get()
