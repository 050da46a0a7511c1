"""``LiveEventsProcessorManager``: the original's live-event manager, as a base that
integrations subclass and install in their ``BaseIntegration.__init__`` (to change how
routes are registered, or which entity processor the events map with).

Ocean serves live events with its own engine (:mod:`ocean.live`: the route, the durable
queue, the workers) and never installs such a manager: processors registered with
``ocean.add_webhook_processor`` run there, and the integration's ``EntityProcessorClass``
is read from its ``BaseIntegration`` subclass. A manager built by an integration's own
tests keeps what it is given, as the original's does.
"""

from __future__ import annotations

from typing import Any

from port_ocean._unsupported import missing
from port_ocean.core.handlers.queue import AbstractQueue, LocalQueue
from port_ocean.core.handlers.webhook.abstract_webhook_processor import AbstractWebhookProcessor
from port_ocean.core.handlers.webhook.webhook_event import WebhookEvent
from port_ocean.core.integrations.mixins.handler import HandlerMixin


class LiveEventsProcessorManager(HandlerMixin):
    """A mixin after it (``class M(LiveEventsProcessorManager, MyHandlerMixin)``) names its
    ``EntityProcessorClass``, as in the original."""

    def __init__(
        self,
        router: Any,
        signal_handler: Any,
        max_event_processing_seconds: float,
        max_wait_seconds_before_shutdown: float,
    ) -> None:
        self._router = router
        self._processors_classes: dict[str, list[type[AbstractWebhookProcessor]]] = {}
        self._event_queues: dict[str, AbstractQueue[WebhookEvent]] = {}
        self._max_event_processing_seconds = max_event_processing_seconds
        self._max_wait_seconds_before_shutdown = max_wait_seconds_before_shutdown
        signal_handler.register(self.shutdown)

    def register_processor(self, path: str, processor: type[AbstractWebhookProcessor]) -> None:
        """Keep ``processor`` for ``path`` (a class of the wrong kind is a ``ValueError``)."""
        if not (isinstance(processor, type) and issubclass(processor, AbstractWebhookProcessor)):
            raise ValueError("Processor must extend AbstractWebhookProcessor")
        if path not in self._processors_classes:
            self._processors_classes[path] = []
            self._event_queues[path] = LocalQueue()
            self._register_route(path)
        self._processors_classes[path].append(processor)

    def _register_route(self, path: str) -> None:
        """Subclasses add their own route here; Ocean's live-event route serves ``path``."""

    async def start_processing_event_messages(self) -> None:
        """Ocean's live-event workers process the events."""

    async def shutdown(self) -> None:
        """Ocean drains its own live events when the integration stops."""


__all__ = ["LiveEventsProcessorManager"]
__getattr__ = missing(__name__)
