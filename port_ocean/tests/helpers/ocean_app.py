"""Load an integration folder for its own tests, as the original's helpers do: its
configuration (the spec's defaults, then the overrides), its ``main.py`` and its mapping."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import yaml

from port_ocean._unsupported import missing
from port_ocean.context.event import EventType, event_context
from port_ocean.core.handlers.port_app_config.models import ResourceConfig
from port_ocean.ocean import Ocean


def get_integration_ocean_app(
    integration_path: str, config_overrides: dict[str, Any] | None = None
) -> Ocean:
    """An :class:`Ocean` over the folder's ``ocean``, its ``main.py`` imported and its
    configuration the spec's, the environment's over its defaults and ``config_overrides``
    over both (as the original)."""
    from ocean.config.config_file import ConfigFile
    from ocean.config.settings import load_settings
    from ocean.sail import load_configured

    overrides = dict(config_overrides or {})
    settings = load_settings(environ=os.environ, from_file={}, overrides=overrides)
    load_configured(
        Path(integration_path), settings, environ=os.environ, file=ConfigFile(), overrides=overrides
    )
    return Ocean()


def get_integation_resource_configs(integration_path: str) -> list[ResourceConfig]:
    """The resources of the folder's mapping (``.port/resources/port-app-config.y[a]ml``)."""
    resources = Path(integration_path) / ".port" / "resources"
    path = next(
        (
            resources / name
            for name in ("port-app-config.yml", "port-app-config.yaml")
            if (resources / name).is_file()
        ),
        resources / "port-app-config.yml",
    )
    document = yaml.safe_load(path.read_text()) or {}
    return [ResourceConfig(**item) for item in document.get("resources", [])]


async def get_raw_result_on_integration_sync_resource_config(
    app: Ocean, resource_config: ResourceConfig, event_type: str = EventType.RESYNC
) -> tuple[list[Any], list[Exception]]:
    """What the kind's handlers give for ``resource_config``, in a resync event."""
    async with event_context(event_type, trigger_type="machine"):
        return await app.integration._get_resource_raw_results(resource_config)


get_integration_resource_configs = get_integation_resource_configs

__all__ = [
    "get_integation_resource_configs",
    "get_integration_ocean_app",
    "get_raw_result_on_integration_sync_resource_config",
]
__getattr__ = missing(__name__)
