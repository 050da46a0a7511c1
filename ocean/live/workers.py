"""Workers: take events from the queue and apply them, in order per key.

Up to ``held`` events taken from the queue are being applied at once (``handle`` bounds
what it runs concurrently itself: the integration's handlers; their writes commit in
groups, the more events at once the larger). An event whose key is already being
applied waits behind it, so events about the same resource land in arrival order while
different resources go in parallel (both queues hand out a key's next event only once the
one before it is finished, so one waits here only while that finish is retried through an
outage: a backlog behind a slow key stays in the queue, not in ``held``). ``handle``
returns None when the event was applied
or the reason it failed for good (the event is then buried in the dead-letter list).

The workers outlive a queue outage (:mod:`ocean.live.outage`): taking events is retried
with capped backoff until the queue answers again, and an event applied meanwhile is
finished (done or buried) once it does, its key held until then so order is kept.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Awaitable, Callable

from ocean.errors import QueueUnavailableError
from ocean.live.outage import Outage
from ocean.live.queue import EventQueue, QueuedEvent
from ocean.load.under_way import stopping
from ocean.monitor.sensitive import redact

Handle = Callable[[QueuedEvent], Awaitable[str | None]]
_log = logging.getLogger(__name__)
HELD = 1024
"""Events taken from the queue and not finished yet, at most (about 1 KB each)."""


class Workers:
    """Run with :meth:`run` until ``stop`` is set; unfinished events stay queued."""

    def __init__(
        self,
        queue: EventQueue,
        handle: Handle,
        *,
        held: int = HELD,
        poll: float = 0.5,
        retry_max: float = 10.0,
    ) -> None:
        """``retry_max``: the longest wait between retries while the queue is unreachable."""
        self._queue, self._handle, self._poll = queue, handle, poll
        self.outage = Outage(cap=retry_max)
        self._capacity = held
        self._held = 0
        self._waiting: dict[str, deque[QueuedEvent]] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._freed = asyncio.Event()
        self._closing = False
        """Stopping: a finished event starts none behind it (they stay queued)."""

    async def run(self, stop: asyncio.Event) -> None:
        stopping = asyncio.create_task(stop.wait())
        failures = 0
        try:
            while not stop.is_set():
                room = self._capacity - self._held
                if room <= 0:
                    self._freed.clear()
                    await asyncio.wait(
                        {stopping, asyncio.create_task(self._freed.wait())},
                        return_when=asyncio.FIRST_COMPLETED,
                    )
                    continue
                try:
                    taken = await self._queue.take(room, timeout=self._poll)
                except QueueUnavailableError as error:
                    await self.outage.pause(error, failures, stop)
                    failures += 1
                    continue
                failures = 0
                self.outage.over()
                for event in taken:
                    self._admit(event)
        finally:
            stopping.cancel()
            self._closing = True
            for task in list(self._tasks):
                task.cancel()
            for task in list(self._tasks):
                with contextlib.suppress(asyncio.CancelledError):
                    await task

    def _admit(self, event: QueuedEvent) -> None:
        self._held += 1
        if event.key is not None:
            if event.key in self._waiting:
                self._waiting[event.key].append(event)
                return
            self._waiting[event.key] = deque()
        self._start(event)

    def _start(self, event: QueuedEvent) -> None:
        task = asyncio.create_task(self._work(event))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _work(self, event: QueuedEvent) -> None:
        try:
            await self._finish(event, await self._outcome(event))
        finally:  # however it ended, the key is free for the next event
            self._release(event)

    async def _outcome(self, event: QueuedEvent) -> str | None:
        """None when the event was applied, else why it failed."""
        try:
            return await self._handle(event)
        except Exception as error:  # a bug in a handler must not block its key
            return f"{type(error).__name__}: {error}"
        except asyncio.CancelledError as error:
            if stopping():  # the event stays queued
                raise
            return f"applying it raised CancelledError ({error}) though it was not stopped"

    async def _finish(self, event: QueuedEvent, failure: str | None) -> None:
        """Done or buried, retried through an outage. Any other error of the queue (a bug)
        is logged and the event buried with a generic message instead, so that the worker
        goes on; if even that fails, the event stays queued (delivered again after a
        restart)."""
        try:
            if failure is None:
                await self.outage.persist(lambda: self._queue.done(event))
            else:
                buried = redact(failure)  # kept in the dead-letter list, shown by `ocean events`
                await self.outage.persist(lambda: self._queue.bury(event, buried))
                _log.warning(
                    "live event %s (POST %s) failed and went to the dead-letter list: %s; "
                    "`ocean events dead` lists it, `ocean events retry` queues it again",
                    event.id, event.path, buried,
                )  # fmt: skip
            return
        except Exception:
            _log.exception("live event %s: the queue could not finish it", event.id)
        ended = "was applied" if failure is None else "failed"
        generic = f"it {ended}, but the queue could not record it: see the integration's log"
        try:
            await self.outage.persist(lambda: self._queue.bury(event, generic))
        except Exception:
            _log.exception("live event %s: could not bury it either; it stays queued", event.id)

    def _release(self, event: QueuedEvent) -> None:
        """The event's slot, and its key to the next event waiting for it."""
        self._held -= 1
        self._freed.set()
        if event.key is not None:
            behind = self._waiting[event.key]
            if behind and not self._closing:
                self._start(behind.popleft())
            else:
                del self._waiting[event.key]
