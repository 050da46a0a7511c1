"""The POLLING listener: resync at start, then whenever the catalog's resync-request
watermark moves (``ocean catalog resync INTEGRATION`` moves it), checked every interval,
plus every ``OCEAN__SCHEDULED_RESYNC_INTERVAL`` minutes when set.

Newest trigger wins: a request that arrives while a resync runs cancels it (it records
itself ``aborted`` and deletes nothing) and a new one starts; a burst of requests between
two checks leads to one resync.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable, Coroutine
from typing import Any

from ocean.job import Observer
from ocean.listen.once import resync, run_once
from ocean.load.freshness import Freshness
from ocean.monitor.report import ResyncReport
from ocean.sail import Sail
from ocean.store.base import Store


class _Watermark:
    """The last resync request seen for one integration."""

    def __init__(self, store: Store, identifier: str, seen: str | None) -> None:
        self._store, self._identifier, self._seen = store, identifier, seen

    async def moved(self) -> bool:
        requested = await self._store.resync_requested_at(self._identifier)
        if requested is not None and (self._seen is None or requested > self._seen):
            self._seen = requested
            return True
        return False


async def poll(
    sail: Sail,
    store: Store,
    observer: Observer,
    *,
    stop: asyncio.Event,
    on_report: Callable[[ResyncReport], None] = lambda _report: None,
    freshness: Freshness | None = None,
) -> None:
    """Run until ``stop`` is set."""
    identifier, interval = sail.owner.identifier, sail.settings.event_listener.interval
    schedule = (sail.settings.scheduled_resync_interval or 0) * 60
    watermark = _Watermark(store, identifier, await store.resync_requested_at(identifier))
    trigger: str | None = "start"
    last = time.monotonic()
    while not stop.is_set():
        if trigger is not None:
            run = run_once if trigger == "start" else resync
            job = run(sail, store, observer, trigger=trigger, freshness=freshness)
            report, superseded = await _run(job, stop, watermark, interval)
            if report is not None:
                on_report(report)
            trigger, last = ("request" if superseded else None), time.monotonic()
            continue
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=interval)
        if not stop.is_set() and await watermark.moved():
            trigger = "request"
        elif schedule and time.monotonic() - last >= schedule:
            trigger = "schedule"


async def _run(
    job: Coroutine[Any, Any, ResyncReport],
    stop: asyncio.Event,
    watermark: _Watermark,
    interval: float,
) -> tuple[ResyncReport | None, bool]:
    """Run a resync to the end, unless ``stop`` is set or a newer request arrives first
    (then it is cancelled). Returns its report (or None) and whether a request superseded it."""
    task = asyncio.create_task(job)
    while not task.done():
        stopped = asyncio.create_task(stop.wait())
        await asyncio.wait({task, stopped}, timeout=interval, return_when=asyncio.FIRST_COMPLETED)
        stopped.cancel()
        if task.done():
            break
        superseded = not stop.is_set() and await watermark.moved()
        if stop.is_set() or superseded:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            return None, superseded
    return task.result(), False
