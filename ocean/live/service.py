"""Live events for a running integration: its routes, its queue and its workers, and
whether it is ready (its queue answers)."""

from __future__ import annotations

import asyncio
import logging
import math
import time

from ocean.errors import OceanError, QueueUnavailableError
from ocean.listen.http import DirectRoute
from ocean.live.open import open_queue, queue_url
from ocean.live.process import LiveEvents, process
from ocean.live.queue import EventQueue, QueuedEvent
from ocean.live.routes import live_event_routes
from ocean.live.workers import Workers
from ocean.monitor.metrics import Metrics
from ocean.sail import Sail
from ocean.store.base import Store

_log = logging.getLogger(__name__)
READY_SECONDS = 1.0
"""How long ``/ready`` waits for the queue to answer."""


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
        return cls(
            live,
            queue,
            metrics,
            max_body=settings.live_events.max_body_bytes,
            retry_max=settings.live_events.retry_max_seconds,
        )

    async def run(self, stop: asyncio.Event) -> None:
        await self.workers.run(stop)

    async def close(self) -> None:
        self.live.integration.live_sink = None  # the integration's own routes queue no more
        await self.queue.close()
