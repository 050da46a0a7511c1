"""The sail's stop watchdog: a stop signal the event loop does not take in time (a handler
blocks it) ends the process, saying where it was blocked."""

from __future__ import annotations

import contextlib
import os
import signal
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import asyncio
    import threading
    from types import FrameType

STOP_GRACE = 10.0
"""Seconds the event loop has to take a stop signal before the process exits anyway
(:class:`_Watchdog`)."""


class Watchdog:
    """Ends the process when the event loop has not taken a stop signal (SIGTERM, Ctrl-C)
    within :data:`STOP_GRACE` seconds: something blocks it (a handler calling
    ``time.sleep`` or a synchronous client), and nothing else would stop the sail. What was
    written stays; the resync's run stays ``running`` and its lease lapses on its own (the
    next resync takes it over)."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._waiting: threading.Event | None = None
        self._handlers: list[Callable[[int, FrameType | None], None]] = []

    def watch(self, *signums: int) -> None:
        """Have each of ``signums``, whose handler is set (the loop's, or asyncio's for
        Ctrl-C), also arm the watchdog, until its handler is set again."""
        for signum in signums:
            previous = signal.getsignal(signum)
            if callable(previous):
                signal.signal(signum, self._noticing(previous))

    @contextlib.contextmanager
    def watching(self, *signums: int) -> Iterator[None]:
        """:meth:`watch` within the block; then the handlers as they were (unless they
        were set again meanwhile)."""
        previous = {signum: signal.getsignal(signum) for signum in signums}
        self.watch(*signums)
        try:
            yield
        finally:
            for signum, handler in previous.items():
                if signal.getsignal(signum) in self._handlers:
                    signal.signal(signum, handler)

    def _noticing(
        self, previous: Callable[[int, FrameType | None], Any]
    ) -> Callable[[int, FrameType | None], None]:
        def noticed(signum: int, frame: FrameType | None) -> None:
            self._arm(signum)
            previous(signum, frame)

        self._handlers.append(noticed)
        return noticed

    def _arm(self, signum: int) -> None:
        """Wait, on a thread, for the loop to run a callback posted now (this runs in the
        main thread, between two instructions of whatever it runs, the loop blocked or not)."""
        import threading

        if self._waiting is not None:
            return  # armed already
        waiting = self._waiting = threading.Event()
        self._loop.call_soon_threadsafe(self._answered, waiting)
        watch = threading.Thread(target=self._expire, args=(waiting, signum), daemon=True)
        watch.start()

    def _answered(self, waiting: threading.Event) -> None:
        waiting.set()
        self._waiting = None  # the next signal arms it again

    @staticmethod
    def _expire(waiting: threading.Event, signum: int) -> None:
        import logging

        if waiting.wait(STOP_GRACE):
            return
        logging.getLogger(__name__).error(
            "%s was not taken within %g s, so the sail cannot stop: the event loop is "
            "blocked%s. Exiting now. A handler must not block the loop: await "
            "asyncio.sleep, run blocking calls with asyncio.to_thread. What was written "
            "stays; the resync's lease lapses on its own.",
            signal.Signals(signum).name,
            STOP_GRACE,
            _blocked_at(),
        )
        os._exit(128 + signum)


async def within_grace(running: Awaitable[None], stop: asyncio.Event) -> None:
    """Run ``running`` (the listener) to its end, or, once ``stop`` is set, for
    :data:`STOP_GRACE` seconds more at most: then it is cancelled, saying so. A catalog that
    does not answer would otherwise hold the stop for its client's retries (minutes, each
    try waiting its timeout: the Port API's client sends a call up to 11 times)."""
    import asyncio
    import logging

    task, stopped = asyncio.ensure_future(running), asyncio.ensure_future(stop.wait())
    try:
        await asyncio.wait({task, stopped}, return_when=asyncio.FIRST_COMPLETED)
        if not task.done() and not (await asyncio.wait({task}, timeout=STOP_GRACE))[0]:
            logging.getLogger(__name__).warning(
                "the listener did not stop within %g s of the stop (the catalog does not "
                "answer?), so it is cut short: a resync under way may stay recorded as "
                "running until the next one", STOP_GRACE,
            )  # fmt: skip
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
            return
    finally:
        stopped.cancel()
        if not task.done():  # (this coroutine was cancelled itself)
            task.cancel()
    await task  # its error, if it failed


def _blocked_at() -> str:
    """Where the main thread is, outside Ocean and Python's own files (the integration's
    code, usually), as `` at /…/main.py:9 in things (time.sleep(1))``."""
    import sys
    import sysconfig
    import threading
    import traceback

    frame = sys._current_frames().get(threading.main_thread().ident or 0)
    if frame is None:
        return ""
    stack = traceback.extract_stack(frame)
    paths = sysconfig.get_paths()
    skipped = [str(Path(__file__).parents[1]), *(paths[k] for k in ("stdlib", "purelib"))]
    own = [f for f in stack if not f.filename.startswith(tuple(skipped))]
    shown = (own or stack)[-1]
    return f" at {shown.filename}:{shown.lineno} in {shown.name} ({shown.line})"
