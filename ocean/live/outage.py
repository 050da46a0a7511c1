"""A queue outage as the workers live through it: retried with capped exponential backoff,
logged once when it starts (ERROR) and once when it ends (INFO), each retry only at DEBUG.

One :class:`Outage` is shared by everything that calls the queue from the workers (the
loop taking events and each worker finishing one), so one outage is one pair of log lines
however many callers notice it; each caller keeps its own backoff.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections.abc import Awaitable, Callable, Iterator
from typing import TypeVar

from ocean.errors import QueueUnavailableError

_log = logging.getLogger(__name__)
T = TypeVar("T")
FIRST_DELAY = 0.05
"""Seconds before the first retry; each next one waits twice as long, up to the cap."""


class Outage:
    """``cap``: the longest wait between two retries (``OCEAN__LIVE_EVENTS__RETRY_MAX_SECONDS``)."""

    def __init__(self, *, cap: float) -> None:
        self.cap = cap
        self._since: float | None = None
        self._writes_failing = 0
        """How many :meth:`persist` calls are failing now: while any is, the outage goes on
        whatever else succeeds (a full disk refuses writes and still serves reads: the
        taking loop's reads ended the outage, and each next failed write logged it anew at
        ERROR, about once a second)."""

    @property
    def ongoing(self) -> bool:
        return self._since is not None

    def delay(self, attempt: int) -> float:
        """The wait before retry ``attempt`` (0 first), with ±20% jitter so that replicas
        do not retry in step."""
        return min(self.cap, FIRST_DELAY * 2.0**attempt) * random.uniform(0.8, 1.2)

    async def pause(
        self, error: QueueUnavailableError, attempt: int, stop: asyncio.Event | None = None
    ) -> None:
        """Note the failure and wait before retry ``attempt`` (sooner if ``stop`` is set)."""
        if self._since is None:
            self._since = time.monotonic()
            _log.error(
                "%s. Live events are refused with 503 and the workers retry every %.3g "
                "seconds at most; events already queued wait and are applied once it is back.",
                error,
                self.cap,
            )
        else:
            _log.debug("live-event queue still unreachable (retry %d): %s", attempt + 1, error)
        wait = self.delay(attempt)
        if stop is None:
            await asyncio.sleep(wait)
            return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), wait)

    def over(self) -> None:
        """A queue call succeeded: the outage, if any, is over, unless a write still fails
        (:meth:`persist`)."""
        if self._since is not None and not self._writes_failing:
            _log.info(
                "live-event queue reachable again after %.1f seconds; applying events again",
                time.monotonic() - self._since,
            )
            self._since = None

    async def persist(self, action: Callable[[], Awaitable[T]]) -> T:
        """``action`` retried until the queue takes it (for finishing an event: giving up
        would leave its key blocked; the workers' stop cancels the wait)."""
        attempt = 0
        with self._writing() as failed:
            while True:
                try:
                    result = await action()
                except QueueUnavailableError as error:
                    failed()
                    await self.pause(error, attempt)
                    attempt += 1
                    continue
                break
        self.over()
        return result

    @contextlib.contextmanager
    def _writing(self) -> Iterator[Callable[[], None]]:
        """A :meth:`persist` call: the callable it yields says its write failed (counted
        once, until the call ends, however it ends)."""
        failing = False

        def failed() -> None:
            nonlocal failing
            if not failing:
                failing = True
                self._writes_failing += 1

        try:
            yield failed
        finally:
            if failing:
                self._writes_failing -= 1
