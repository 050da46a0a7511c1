"""``port_ocean.core.handlers``: ``APIPortAppConfig`` and ``JQEntityProcessor``, imported on
use (the first needs pydantic)."""

from __future__ import annotations

from typing import Any

from port_ocean._unsupported import missing


def __getattr__(name: str) -> Any:
    if name == "APIPortAppConfig":
        from port_ocean.core.handlers.port_app_config.api import APIPortAppConfig

        return APIPortAppConfig
    if name == "JQEntityProcessor":
        from port_ocean.core.handlers.entity_processor.jq_entity_processor import (
            JQEntityProcessor,
        )

        return JQEntityProcessor
    return missing(__name__)(name)
