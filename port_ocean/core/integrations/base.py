"""``BaseIntegration``: subclassed in ``integration.py`` to customise the mapping model."""

from __future__ import annotations

from typing import Any, ClassVar

from port_ocean._unsupported import missing
from port_ocean.core.handlers.port_app_config.api import APIPortAppConfig
from port_ocean.core.integrations.mixins.handler import HandlerMixin


class BaseIntegration(HandlerMixin):
    """``EntityProcessorClass`` comes from :class:`HandlerMixin`, as in the original, so a
    mixin listed after this class (``class X(BaseIntegration, MyHandlerMixin)``) names the
    integration's own entity processor."""

    AppConfigHandlerClass: ClassVar[type[APIPortAppConfig]] = APIPortAppConfig

    def __init__(self, context: Any = None) -> None:
        self.context = context


__getattr__ = missing(__name__)
