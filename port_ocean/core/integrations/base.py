"""``BaseIntegration``: subclassed in ``integration.py`` to customise the mapping model."""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Awaitable
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

    async def _get_resource_raw_results(
        self, resource_config: Any, send_raw_data_examples_amount: int = 0
    ) -> tuple[list[Any], list[Exception]]:
        """What the kind's handlers (on ``context``, the ``ocean`` it was made with) give,
        as the original's: the items the list handlers return, then each generator
        handler's generator (not yet run); and the errors of the list handlers."""
        handlers = self.context.handlers_for(resource_config.kind)
        started = [handler(resource_config.kind) for handler in handlers]
        generators = [result for result in started if inspect.isasyncgen(result)]
        coroutines: list[Awaitable[Any]] = [r for r in started if inspect.isawaitable(r)]
        awaited = await asyncio.gather(*coroutines, return_exceptions=True)
        items = [item for result in awaited if isinstance(result, list) for item in result]
        errors = [result for result in awaited if isinstance(result, Exception)]
        return [*items, *generators], errors


__getattr__ = missing(__name__)
