"""``BaseIntegration``: subclassed in ``integration.py`` to customise the mapping model."""

from __future__ import annotations

from typing import Any, ClassVar

from port_ocean._unsupported import missing
from port_ocean.core.handlers.entity_processor.jq_entity_processor import JQEntityProcessor
from port_ocean.core.handlers.port_app_config.api import APIPortAppConfig


class BaseIntegration:
    AppConfigHandlerClass: ClassVar[type[APIPortAppConfig]] = APIPortAppConfig
    EntityProcessorClass: ClassVar[type[JQEntityProcessor]] = JQEntityProcessor
    """An integration's own subclass resolves its ``scheme://...`` mapping values."""

    def __init__(self, context: Any = None) -> None:
        self.context = context


__getattr__ = missing(__name__)
