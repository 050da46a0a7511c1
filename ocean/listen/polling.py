"""The POLLING listener: resync at start, then whenever the catalog's resync-request
watermark moves (``ocean catalog resync INTEGRATION`` moves it), checked every interval."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable

from ocean.listen.once import resync, run_once
from ocean.monitor.report import ResyncReport
from ocean.resync import Observer
from ocean.sail import Sail
from ocean.store.base import Store


async def poll(
    sail: Sail,
    store: Store,
    observer: Observer,
    *,
    stop: asyncio.Event,
    on_report: Callable[[ResyncReport], None] = lambda _report: None,
) -> None:
    """Run until ``stop`` is set; one resync per start and per new resync request."""
    identifier = sail.owner.identifier
    interval = sail.settings.event_listener.interval
    watermark = await store.resync_requested_at(identifier)
    on_report(await run_once(sail, store, observer, trigger="start"))  # starts, then resyncs
    while not stop.is_set():
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=interval)
        if stop.is_set():
            return
        requested = await store.resync_requested_at(identifier)
        if requested is not None and (watermark is None or requested > watermark):
            watermark = requested
            on_report(await resync(sail, store, observer, trigger="request"))
