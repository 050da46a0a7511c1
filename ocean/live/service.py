"""Live events for a running integration: its routes, its queue and its workers, and
whether it is ready (its queue answers)."""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections.abc import Awaitable, Callable

from ocean.errors import OceanError, QueueUnavailableError
from ocean.listen.http import DirectRoute
from ocean.listen.reload import mapping_of_record
from ocean.live.open import open_queue, queue_url
from ocean.live.process import LiveEvents, process
from ocean.live.queue import EventQueue, QueuedEvent
from ocean.live.routes import live_event_routes
from ocean.live.workers import Workers
from ocean.monitor.metrics import Metrics
from ocean.sail import Sail
from ocean.store.base import InstallsIntegrations, Store

_log = logging.getLogger(__name__)
READY_SECONDS = 1.0
"""How long ``/ready`` waits for the queue to answer."""


MAPPING_TTL = 60.0
"""Seconds a mapping read from a Port API serves live events before it is read again, as
the original's cache of it (:func:`_rereading`)."""
REREAD_SECONDS = 10.0
"""How long the event that reads it again waits for the catalog's answer."""


def _rereading(sail: Sail, store: Store) -> Callable[[], Awaitable[None]] | None:
    """Against a Port API, for a sail that never resyncs (WEBHOOKS_ONLY): read the mapping
    Port keeps again (its UI edits it), as the original's live events read it through a
    60 s cache. Other listeners read it before each resync (Port asks for one when the
    mapping is saved), and their live events use it; swapping it under a resync under way
    would change the kinds it is syncing. A mapping that cannot be used is logged, and the
    one in use stays."""
    if not isinstance(store, InstallsIntegrations):
        return None
    if sail.settings.event_listener.type.upper() not in ("WEBHOOKS_ONLY", "ACTIONS_ONLY"):
        return None

    async def reread() -> None:
        try:
            async with asyncio.timeout(REREAD_SECONDS):  # an event waits for it
                await mapping_of_record(sail, store)
        except (OceanError, TimeoutError) as error:
            why = str(error) or f"the catalog did not answer within {REREAD_SECONDS:g} s"
            _log.error("reading the mapping again: %s; live events use the one in use", why)

    return reread


class LiveService:
    """Open with :meth:`open` (None when the integration registers no processor, and has
    no ``on_start`` hook that may register one)."""

    def __init__(
        self,
        live: LiveEvents,
        queue: EventQueue,
        metrics: Metrics,
        *,
        max_body: int,
        retry_max: float = 10.0,
    ) -> None:
        """``retry_max``: the longest wait between retries while the queue is unreachable
        (also the 503's Retry-After, rounded up)."""
        self.live, self.queue, self.metrics = live, queue, metrics
        retry_after = max(1, math.ceil(retry_max))
        self.routes: list[DirectRoute] = live_event_routes(
            live, queue, metrics, max_body_bytes=max_body, retry_after=retry_after
        )
        self.workers = Workers(queue, self._apply, retry_max=retry_max)
        self.reread: Callable[[], Awaitable[None]] | None = None
        """Reads the mapping of record again (:func:`_rereading`); None: never."""
        self.reread_at = time.monotonic()
        """When it was last read (``time.monotonic``; the sail's start has just read it)."""
        self.mapping_ttl = MAPPING_TTL

    async def unready(self) -> str | None:
        """Why ``/ready`` should answer 503: the queue does not answer (None when it does)."""
        try:
            async with asyncio.timeout(READY_SECONDS):
                await self.queue.depth()
        except QueueUnavailableError as error:
            return f"{error}; until then live events are refused with 503"
        except TimeoutError:
            return (
                f"the live-event queue did not answer within {READY_SECONDS} seconds; "
                "live events may be refused until it does: check Redis"
            )
        return None

    async def _apply(self, event: QueuedEvent) -> str | None:
        if self.reread is not None and time.monotonic() - self.reread_at >= self.mapping_ttl:
            self.reread_at = time.monotonic()  # (once for the events applied meanwhile)
            await self.reread()
        failure = await process(self.live, event)
        route = self.live.route_of(event.path) or "unknown"  # the template, not each value
        if failure is None:
            self.metrics.event_applied(route, max(0.0, time.time() - event.received_at))
        else:
            self.metrics.event(route, "dead")
        return failure

    @classmethod
    async def open(cls, sail: Sail, store: Store, metrics: Metrics) -> LiveService | None:
        """Opened before the ``on_start`` hooks run: an integration that registers its
        processors in one is served as one that does at import (its route reads the
        processors registered when each event comes). When none is registered yet, a
        queue that cannot be opened is logged and the live events not served."""
        integration = sail.folder.integration
        if integration.webhook_processors:
            return await cls._open(sail, store, metrics)
        if not integration.start_hooks:
            return None
        try:
            return await cls._open(sail, store, metrics)
        except OceanError as error:
            _log.warning(
                "live events are not served: no webhook processor is registered yet, and "
                "the live-event queue could not be opened for one the on_start hooks may "
                "register (%s)",
                error,
            )
            return None

    @classmethod
    async def _open(cls, sail: Sail, store: Store, metrics: Metrics) -> LiveService:
        settings = sail.settings
        live = LiveEvents(
            integration=sail.folder.integration,
            mapping=sail.folder.mapping,
            resources=sail.resources,
            store=store,
            owner=sail.owner,
            timeout=settings.max_event_processing_seconds,
            workers=settings.event_workers_count,
            write_patience=settings.live_events.write_patience_seconds,
            retry_max=settings.live_events.retry_max_seconds,
        )
        url = queue_url(settings.live_events.queue_url, sail.catalog_url)
        queue = await open_queue(url, sail.owner.identifier, consumer=settings.live_events.consumer)
        service = cls(
            live,
            queue,
            metrics,
            max_body=settings.live_events.max_body_bytes,
            retry_max=settings.live_events.retry_max_seconds,
        )
        service.reread = _rereading(sail, store)
        return service

    async def run(self, stop: asyncio.Event) -> None:
        await self.workers.run(stop)

    async def close(self) -> None:
        self.live.integration.live_sink = None  # the integration's own routes queue no more
        await self.queue.close()
