"""The POLLING listener: resync at start, then whenever the catalog's resync-request
watermark moves (``ocean catalog resync INTEGRATION`` moves it), checked every interval."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Coroutine
from typing import Any

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
    report = await until_stopped(run_once(sail, store, observer, trigger="start"), stop)
    if report is not None:
        on_report(report)
    while not stop.is_set():
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=interval)
        if stop.is_set():
            return
        requested = await store.resync_requested_at(identifier)
        if requested is not None and (watermark is None or requested > watermark):
            watermark = requested
            report = await until_stopped(resync(sail, store, observer, trigger="request"), stop)
            if report is not None:
                on_report(report)


async def until_stopped(
    resync: Coroutine[Any, Any, ResyncReport], stop: asyncio.Event
) -> ResyncReport | None:
    """Run a resync; if ``stop`` is set first, cancel it (it records itself as aborted)."""
    task = asyncio.create_task(resync)
    stopped = asyncio.create_task(stop.wait())
    await asyncio.wait({task, stopped}, return_when=asyncio.FIRST_COMPLETED)
    stopped.cancel()
    if task.done():
        return task.result()
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    return None
