"""Live events for a running integration: its routes, its queue and its workers."""

from __future__ import annotations

import asyncio
import time

from starlette.routing import Route

from ocean.live.open import open_queue, queue_url
from ocean.live.process import LiveEvents, process
from ocean.live.queue import EventQueue, QueuedEvent
from ocean.live.routes import live_event_routes
from ocean.live.workers import Workers
from ocean.monitor.metrics import Metrics
from ocean.sail import Sail
from ocean.store.base import Store


class LiveService:
    """Open with :meth:`open` (None when the integration registers no processor)."""

    def __init__(
        self, live: LiveEvents, queue: EventQueue, metrics: Metrics, *, workers: int, max_body: int
    ) -> None:
        self.live, self.queue, self.metrics = live, queue, metrics
        self.routes: list[Route] = live_event_routes(live, queue, metrics, max_body_bytes=max_body)
        self.workers = Workers(queue, self._apply, workers=workers)

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
        if not sail.folder.integration.webhook_processors:
            return None
        settings = sail.settings
        live = LiveEvents(
            integration=sail.folder.integration,
            mapping=sail.folder.mapping,
            resources=sail.resources,
            store=store,
            owner=sail.owner,
            timeout=settings.max_event_processing_seconds,
        )
        url = queue_url(settings.live_events.queue_url, sail.catalog_url)
        queue = await open_queue(url, sail.owner.identifier, consumer=settings.live_events.consumer)
        return cls(
            live,
            queue,
            metrics,
            workers=settings.event_workers_count,
            max_body=settings.live_events.max_body_bytes,
        )

    async def run(self, stop: asyncio.Event) -> None:
        await self.workers.run(stop)

    async def close(self) -> None:
        await self.queue.close()
