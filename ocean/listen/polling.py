"""The POLLING listener: resync at start, then whenever the catalog's resync-request
watermark moves (``ocean catalog resync INTEGRATION`` moves it), checked every interval,
plus every ``OCEAN__SCHEDULED_RESYNC_INTERVAL`` minutes when set; with incremental sync
enabled, an incremental sync every ``OCEAN__INTEGRATION__INCREMENTAL_SYNC_INTERVAL`` minutes
in between (see :mod:`ocean.incremental`).

Newest trigger wins: a request that arrives while a resync runs cancels it (it records
itself ``aborted`` and deletes nothing) and a new one starts; a burst of requests between
two checks leads to one resync. A resync that has synced its kinds and deleted its stale
entities is no longer cancelled: it finishes (its ``on_resync_complete`` hooks, which may
have made the request with ``ocean.sync_raw_all()``, and its record), then the new one starts.

Each resync holds the integration's lease (:mod:`ocean.resync_lease`): while another
process holds it, the listener stands by and tries again every interval; the retry is
dropped once a resync that took the lease after the refusal has completed (replicas do
not repeat each other's work; the holder that refused it may have read its data before the
trigger, so its own completion does not drop it), and runs when the holder died (its lease
lapsed). A new request
or scheduled run replaces the retry.

A long-running listener outlives its catalog's outages and its own bugs: a resync the
catalog failed (unreachable, say) is tried again every interval; one that failed otherwise
(recorded ``failed``, and logged with its traceback) is not, as it would likely fail the
same way, and the next request, scheduled run or incremental sync runs. A check of the
requests that fails is logged and the checks go on, each waiting twice as long as the last
while they fail (up to :data:`_LONGEST_PAUSE`, or the interval when longer).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from typing import Any

from ocean.errors import LeaseHeldError, LeaseLostError, MappingError, StoreError
from ocean.job import Observer
from ocean.listen.once import Started, resync, start
from ocean.listen.reload import MappingReload
from ocean.listen.schedule import Schedule
from ocean.load.freshness import Freshness
from ocean.monitor.report import ResyncReport
from ocean.process import release_garbage
from ocean.resync_lease import Standby
from ocean.sail import Sail
from ocean.store.base import InstallsIntegrations, Store

_log = logging.getLogger(__name__)
_LONGEST_PAUSE = 300.0
"""The longest wait, in seconds, between two checks of the requests that the catalog fails
(unless the interval is longer)."""


class _Watermark:
    """The last resync request seen for one integration."""

    def __init__(self, store: Store, identifier: str, seen: str | None) -> None:
        self._store, self._identifier, self._seen = store, identifier, seen

    async def moved(self) -> bool:
        """Whether a request came since the last seen: the stamp changed (not only grew: a
        stamp from a clock that ran ahead, written before, must not hide later requests)."""
        requested = await self._store.resync_requested_at(self._identifier)
        if requested is not None and requested != self._seen:
            self._seen = requested
            return True
        return False

    def standby(self) -> Standby | None:
        """The resync the last seen request asks for, as a retry that is not needed once a
        resync that took the lease after the request has completed: another replica saw
        the request first and ran it (that one read the data after the request), so this
        one does not run it again. None before any request was seen."""
        return None if self._seen is None else Standby("request", self._seen)


@dataclass
class _Poller:
    """One polling listener's resyncs: each under the integration's lease, standing by
    (retried every interval) while another process holds it."""

    sail: Sail
    store: Store
    observer: Observer
    stop: asyncio.Event
    watermark: _Watermark
    on_report: Callable[[ResyncReport], None]
    freshness: Freshness | None
    started: Started | None = None
    """The blueprints ``start`` created and its hook errors, for the first report."""
    standby: Standby | None = None
    """The refused resync to retry, while another holds the lease."""
    reload: MappingReload | None = None
    """Applies an edited mapping file before each resync."""
    failed_checks: int = 0
    """Checks of the requests failed in a row (each makes the next wait longer)."""
    warned: Standby | None = None
    """The retry whose refusal was logged (once per retry)."""

    async def resync(self, trigger: str) -> bool:
        """Resync for ``trigger`` (or retry the refused one); True when a newer request
        superseded it (it was cancelled, and another should start)."""
        if self.reload is not None:
            self.reload()
        full = trigger != "incremental"  # an incremental sync neither takes nor ends a retry
        finishing = asyncio.Event()
        job = resync(self.sail, self.store, self.observer, trigger=trigger,
                     freshness=self.freshness, standby=self.standby if full else None,
                     finishing=finishing.set)  # fmt: skip
        try:
            report, superseded = await _run(job, self.stop, self.requested, self.interval,
                                            finishing)  # fmt: skip
        except Exception as error:
            self._stopped(trigger, error, full=full)
            return False
        if full:
            self.standby = None
        if report is not None:
            self._report(report)
        return superseded

    @property
    def interval(self) -> float:
        return self.sail.settings.event_listener.interval

    def _stopped(self, trigger: str, error: Exception, *, full: bool) -> None:
        """Log a resync's ``error``, and keep it to retry (:attr:`standby`) or not."""
        interval = self.interval
        if isinstance(error, LeaseHeldError):
            if full:
                self._refused(trigger, error)
        elif isinstance(error, LeaseLostError):  # tried again unless a resync completes meanwhile
            if full:
                _log.error("%s; trying again every %g s until one completes", error, interval)
                self.standby = Standby(trigger, error.held_since)
        elif isinstance(error, MappingError):  # the catalog's mapping: fixed there, then resynced
            _log.error("the %s resync did not run: %s", trigger, error)
            if full:
                self.standby = None
        elif isinstance(error, StoreError):  # the catalog failed it (unreachable, say): tried again
            _log.error("the %s resync stopped: %s; trying again in %g s", trigger, error, interval)
            if full:
                self.standby = Standby(trigger, None)
        else:  # a bug, say: recorded failed, not tried again; the next resync runs
            _log.error("the %s resync failed: %s: %s", trigger, type(error).__name__, error,
                       exc_info=error)  # fmt: skip
            if full:
                self.standby = None

    def _refused(self, trigger: str, error: LeaseHeldError) -> None:
        """Stand by after a full resync was refused, logging it once per retry."""
        if self.standby is None:  # the first refusal is what a completion must follow
            self.standby = Standby(trigger, error.held_since)
        if self.warned is not self.standby:  # (a request's retry: from the request on)
            _log.warning("standing by, retrying every %g s: %s", self.interval, error)
            self.warned = self.standby

    async def requested(self) -> bool:
        """Whether a resync was requested since the last check. A check that fails (the
        catalog unreachable, say) is logged and answers no: the listener goes on. A stop
        ends the check and answers no (a catalog that hangs would otherwise hold the stop
        for its client's retries: minutes, each try waiting its timeout)."""
        try:
            moved = await _unless_stopped(self.watermark.moved(), self.stop)
        except Exception as error:
            self.failed_checks += 1
            _log.warning("could not read the resync requests: %s; checking again in %g s",
                         error, self.pause(), exc_info=not isinstance(error, StoreError))  # fmt: skip
            return False
        self.failed_checks = 0
        return moved

    def pause(self) -> float:
        """Seconds to wait before the next check: the interval, doubled for each check
        failed in a row (at most :data:`_LONGEST_PAUSE`, or the interval when longer)."""
        interval = self.interval
        return min(interval * 2.0 ** min(self.failed_checks, 16), max(interval, _LONGEST_PAUSE))

    def _report(self, report: ResyncReport) -> None:
        if self.started is not None:
            started, self.started = self.started, None
            report.created_blueprints = started.created
            report.blueprint_notes = started.blueprint_notes
            report.errors = started.errors + report.errors
        self.on_report(report)


async def _unless_stopped(check: Awaitable[bool], stop: asyncio.Event) -> bool:
    """``check``'s answer, or False once ``stop`` is set first (the check is cancelled)."""
    checking, stopped = asyncio.ensure_future(check), asyncio.ensure_future(stop.wait())
    try:
        await asyncio.wait({checking, stopped}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        stopped.cancel()
        if not checking.done():
            checking.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await checking
    return False if checking.cancelled() else checking.result()


async def poll(
    sail: Sail,
    store: Store,
    observer: Observer,
    *,
    stop: asyncio.Event,
    on_report: Callable[[ResyncReport], None] = lambda _report: None,
    freshness: Freshness | None = None,
) -> None:
    """Start the integration, then run until ``stop`` is set."""
    identifier = sail.owner.identifier
    watermark = _Watermark(store, identifier, await store.resync_requested_at(identifier))
    poller = _Poller(sail, store, observer, stop, watermark, on_report, freshness)
    poller.started = await start(sail, store, freshness)
    if not isinstance(store, InstallsIntegrations):  # a Port API keeps the mapping itself
        poller.reload = MappingReload(sail)
    incremental = _incremental_seconds(sail)
    trigger: str | None = "start"
    schedule = Schedule(sail.settings.scheduled_resync_interval)
    last_incremental = time.monotonic()
    while not stop.is_set():
        if trigger is not None:
            superseded = await poller.resync(trigger)
            release_garbage()  # what the resync left in cycles (its error, if any, handled)
            if trigger != "incremental":
                schedule.restart()
            trigger, last_incremental = ("request" if superseded else None), time.monotonic()
            if superseded:
                poller.standby = watermark.standby()
            continue
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=poller.pause())
        if not stop.is_set() and await poller.requested():
            trigger, poller.standby = "request", watermark.standby()
        elif schedule.due():
            trigger, poller.standby = "schedule", None
        elif poller.standby is not None:  # before incrementals, which could starve it
            trigger = poller.standby.trigger
        elif incremental and time.monotonic() - last_incremental >= incremental:
            trigger = "incremental"


def _incremental_seconds(sail: Sail) -> float:
    """Seconds between incremental syncs (0: none; see :mod:`ocean.incremental`)."""
    settings = sail.settings.integration
    return settings.incremental_minutes() * 60.0 if settings.incremental_sync_enabled else 0.0


async def _run(
    job: Coroutine[Any, Any, ResyncReport | None],
    stop: asyncio.Event,
    requested: Callable[[], Awaitable[bool]],
    interval: float,
    finishing: asyncio.Event,
) -> tuple[ResyncReport | None, bool]:
    """Run a resync to the end, unless ``stop`` is set or a newer request arrives first
    (then it is cancelled). Returns its report (or None) and whether a request superseded it.
    A request seen once the resync is ``finishing`` (its kinds synced, its stale entities
    deleted: its ``on_resync_complete`` hooks, which may have made the request, and its
    record are left) lets it finish, and the next one starts after it."""
    task = asyncio.create_task(job)
    superseded = False
    while not task.done():
        stopped = asyncio.create_task(stop.wait())
        await asyncio.wait({task, stopped}, timeout=interval, return_when=asyncio.FIRST_COMPLETED)
        stopped.cancel()
        if task.done():
            break
        # (a check that fails is logged: the resync goes on, the requests read again later)
        superseded = superseded or (not stop.is_set() and await requested())
        if stop.is_set() or (superseded and not finishing.is_set()):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            return None, superseded
    if task.cancelled():  # (not by this listener: a CancelledError of its own)
        raise RuntimeError(
            "the resync raised CancelledError though nothing stopped it (a task it awaited "
            "was cancelled by something else?)"
        )
    return task.result(), superseded
