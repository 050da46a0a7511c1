"""The mapping models (``port_ocean.core.handlers.port_app_config.models``): Ocean's own.

Custom integrations subclass them (``class MySelector(Selector): ...``) with pydantic v2.
"""

from __future__ import annotations

from ocean.mapping import (
    EntityMapping,
    EntityMappings,
    PortAppConfig,
    PortResourceConfig,
    ResourceConfig,
    Selector,
)
from port_ocean._unsupported import missing

MappingsConfig = EntityMappings

__all__ = [
    "EntityMapping",
    "MappingsConfig",
    "PortAppConfig",
    "PortResourceConfig",
    "ResourceConfig",
    "Selector",
]
__getattr__ = missing(__name__)
