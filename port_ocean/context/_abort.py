"""What ``event.abort()`` does (``port_ocean.context.event``): the ``on_abort`` callbacks,
and, during a resync, stopping it. Ocean's own stopping of a resync (a newer one superseded
it, the integration is stopping) calls the callbacks too."""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import logging
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

AbortCallbackFunction = Callable[[], Any]
"""What ``event.on_abort`` takes: a function or a coroutine function, called with nothing."""

_log = logging.getLogger("port_ocean.context.event")
_running: set[asyncio.Future[Any]] = set()
"""Coroutine callbacks under way (held here: the loop keeps only weak references)."""


@dataclass
class Aborting:
    """One event's ``on_abort`` callbacks, whether it was aborted, and how to stop the work
    it stands for while that runs (a resync's task)."""

    callbacks: list[AbortCallbackFunction] = field(default_factory=list)
    aborted: bool = False
    external: bool = False
    stop: Callable[[], None] | None = None

    def abort(self, external: bool = False) -> None:
        """Call every callback, mark the event aborted, then stop its work, if it runs."""
        for callback in list(self.callbacks):
            _call(callback)
        self.aborted, self.external = True, external
        stop, self.stop = self.stop, None
        if stop is not None:
            stop()


def _call(callback: AbortCallbackFunction) -> None:
    """Call ``callback``; what it returns to await is run as a task. One that raises is
    logged (a warning, as the original's), not raised."""
    try:
        result = callback()
        if inspect.isawaitable(result):
            _start(result)
    except Exception:
        _log.warning("an on_abort callback (%r) raised; the others still run", callback,
                     exc_info=True)  # fmt: skip


def _start(awaitable: Awaitable[Any]) -> None:
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        if inspect.iscoroutine(awaitable):
            awaitable.close()
        _log.warning("an on_abort coroutine was not run: the event was aborted outside of "
                     "an event loop")  # fmt: skip
        return
    task = asyncio.ensure_future(awaitable, loop=loop)
    _running.add(task)
    task.add_done_callback(_finished)


def _finished(task: asyncio.Future[Any]) -> None:
    _running.discard(task)
    if not task.cancelled() and (error := task.exception()) is not None:
        _log.warning("an on_abort callback raised", exc_info=error)


class _TaskStop:
    """Cancels the task running a resync, while the task is within the resync."""

    def __init__(self, task: asyncio.Task[Any]) -> None:
        self.task, self.within, self.cancelled = task, True, False

    def __call__(self) -> None:
        loop = self.task.get_loop()
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:  # a worker thread (blocking code the resync runs there)
            running = None
        if running is not loop:
            loop.call_soon_threadsafe(self._cancel)
        elif self.task is asyncio.current_task():
            # Once it waits: if it leaves the resync first (nothing left to wait for), the
            # resync ended as it would have, and the task is not cancelled at all.
            loop.call_soon(self._cancel)
        else:  # it waits within the resync, where the cancellation reaches it
            self._cancel()

    def _cancel(self) -> None:
        if self.within and not self.cancelled:
            self.cancelled = True
            self.task.cancel("the integration aborted the resync")


@contextlib.contextmanager
def stoppable(aborting: Aborting, aborted: Callable[[], Exception]) -> Iterator[None]:
    """Within: aborting stops the running task at its next await, which then raises
    ``aborted()`` (the core records the resync aborted and goes on) rather than being
    cancelled. The task cancelled by anyone else (Ocean stopping the resync) calls the
    callbacks, then is cancelled as it was."""
    task = asyncio.current_task()
    if task is None:
        yield
        return
    stop = _TaskStop(task)
    aborting.stop = stop
    try:
        yield
    except asyncio.CancelledError:
        stop.within, aborting.stop = False, None
        if stop.cancelled:
            stop.cancelled = False  # given back here, not again below
            if task.uncancel() == 0:
                raise aborted() from None
        elif not aborting.aborted:  # (aborted as it was cancelled: called back once)
            aborting.abort()
        raise
    finally:
        stop.within, aborting.stop = False, None
        if stop.cancelled:  # left otherwise (its cancel caught inside, another error)
            task.uncancel()  # the abort's cancel request is not the task's any longer
