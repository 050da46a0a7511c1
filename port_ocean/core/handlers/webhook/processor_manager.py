"""``LiveEventsProcessorManager``: the original's live-event manager, as a base that
integrations subclass and install in their ``BaseIntegration.__init__`` (to change how
routes are registered, or which entity processor the events map with).

Ocean serves live events with its own engine (:mod:`ocean.live`: the route, the durable
queue, the workers): processors registered with ``ocean.add_webhook_processor`` run there,
and the integration's ``EntityProcessorClass`` is read from its ``BaseIntegration``
subclass. A manager built by an integration's own tests keeps what it is given, as the
original's does.

An integration whose manager registers a route of its own (``_register_route``: okta
answers Okta's GET verification challenge, datadog splits a batch into events) has that
route served (:func:`serve_own_routes`): what it puts in its queue is checked and queued by
Ocean's engine (:attr:`ocean.integration.Integration.live_sink`), as the live-event route
would.
"""

from __future__ import annotations

import logging
from types import ModuleType
from typing import Any

import orjson

from port_ocean._unsupported import missing
from port_ocean.core.handlers.queue import AbstractQueue, LocalQueue
from port_ocean.core.handlers.webhook.abstract_webhook_processor import AbstractWebhookProcessor
from port_ocean.core.handlers.webhook.webhook_event import WebhookEvent
from port_ocean.core.integrations.mixins.handler import HandlerMixin

_log = logging.getLogger(__name__)


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


def serve_own_routes(context: Any, module: ModuleType) -> list[Any]:
    """Serve the routes of a manager ``module``'s integration class installs in its
    ``__init__``, if it defines one that registers its own (the integration class is
    made only then, once, and not for an integration's own unit tests, which give their
    app); its queues hand events to ``context.live_sink``. Returns the routes added to
    ``context.router`` (for a later load of the folder to take away)."""
    own = [
        value
        for value in vars(module).values()
        if isinstance(value, type)
        and issubclass(value, LiveEventsProcessorManager)
        and value._register_route is not LiveEventsProcessorManager._register_route
    ]
    made = context.integration_class
    if not own or made is None or not context.webhook_processors or context._given_app is not None:
        return []
    try:
        made(context)
    except Exception as error:  # its own routes are then not served; Ocean's route is
        _log.warning("%s could not be made (%s): its own live-event routes are not served",
                     made.__name__, error)  # fmt: skip
        return []
    manager = vars(context.app).get("webhook_manager")
    if type(manager) not in own:
        return []
    before = list(context.router.routes)
    for path, processors in context.webhook_processors.items():
        manager._processors_classes[path] = list(processors)
        manager._event_queues[path] = _ToLiveEvents(context, path)
        manager._register_route(path)
    return [route for route in context.router.routes if route not in before]


def _reads_as(body: bytes, payload: Any) -> bool:
    """Whether ``body`` is ``payload`` as JSON (not, say, the batch it was split from)."""
    try:
        return bool(orjson.loads(body) == payload)
    except orjson.JSONDecodeError:
        return False


class _ToLiveEvents(AbstractQueue[WebhookEvent]):
    """A manager's queue for ``path``: each event put is checked and queued by Ocean's
    live-event engine (a refusal is raised to the route that put it)."""

    def __init__(self, context: Any, path: str) -> None:
        self._context, self._path = context, path

    async def put(self, item: WebhookEvent) -> None:
        sink = self._context.live_sink
        if sink is None:
            raise RuntimeError("this process does not serve live events")
        request, path, body = item.original_request, self._path, b""
        if request is not None and hasattr(request, "url"):
            path = request.url.path.removeprefix("/integration") or path
            received = await request.body()
            if _reads_as(received, item.payload):  # the request's own event (signatures)
                body = received
        headers = {str(k).lower(): str(v) for k, v in (item.headers or {}).items()}
        await sink(path, body or orjson.dumps(item.payload), headers)

    async def get(self) -> WebhookEvent:
        raise RuntimeError("Ocean's live-event workers take the events")

    async def teardown(self) -> None:
        return None

    async def commit(self) -> None:
        return None

    async def size(self) -> int:
        return 0


__all__ = ["LiveEventsProcessorManager"]
__getattr__ = missing(__name__)
