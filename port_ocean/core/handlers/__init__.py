"""``port_ocean.core.handlers``: ``APIPortAppConfig`` (imported on use: it needs pydantic)."""

from __future__ import annotations

from typing import Any

from port_ocean._unsupported import missing


def __getattr__(name: str) -> Any:
    if name == "APIPortAppConfig":
        from port_ocean.core.handlers.port_app_config.api import APIPortAppConfig

        return APIPortAppConfig
    return missing(__name__)(name)
