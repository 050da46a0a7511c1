"""The embedded catalog on a thread of this process until its own process is ready.

A resync's catalog runs in a child process (:mod:`ocean.store.sqlite.process`), which
takes a few tens of milliseconds to start; the first calls (blueprints, the last run's page
records) come sooner than that. :class:`CatalogHandover` opens the catalog on a thread
first, starts the child beside it, and answers each call from the thread until the child
has opened the catalog, then from the child. Until then calls are one at a time across
both: each sees what the one before it committed (SQLite's log serves both connections);
then they go straight to the child, which answers them in order. The thread's
connection migrates the file before the child starts, so the two never migrate together.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any, Concatenate, ParamSpec, TypeVar

from ocean.store.sqlite.catalog import SQLiteCatalog
from ocean.store.sqlite.host import CatalogHost, CatalogThread
from ocean.store.sqlite.process import CatalogProcess, CatalogProcessExitedError, finished
from ocean.store.sqlite.spawn import SpareCatalog

P = ParamSpec("P")
T = TypeVar("T")
_log = logging.getLogger(__name__)


class CatalogHandover:
    """Start with :meth:`start`; :attr:`where` says which side answers now."""

    def __init__(self, thread: CatalogThread, process: CatalogProcess) -> None:
        self._thread, self._process = thread, process
        self._current: CatalogHost = thread
        self._waiting = True
        """Whether the child may still take over."""
        self._turn = asyncio.Lock()
        """Held for a whole call until the child takes over, so that calls never overlap."""
        self._queued = 0
        """Calls made that way and not yet answered: later calls queue behind them."""

    @classmethod
    async def start(cls, path: Path, spare: SpareCatalog | None = None) -> CatalogHost:
        """The catalog at ``path`` on a thread now and in its own process (``spare``,
        started ahead, or a new one) soon; only the thread where the process cannot start
        (with a warning)."""
        thread = await CatalogThread.start(path)
        try:
            process = await CatalogProcess.start(path, spare)
        except OSError as error:  # e.g. no interpreter to start: slower, as correct
            _log.warning("the catalog's own process did not start (%s); using a thread", error)
            return thread
        return cls(thread, process)

    @property
    def where(self) -> str:
        """``thread`` or ``process``: the side the next call goes to, as far as known."""
        return "process" if self._current is self._process else "thread"

    async def settled(self) -> None:
        """Wait until the child has opened the catalog or failed to (then calls stay on
        the thread)."""
        await self._process.opened()

    async def call(
        self, method: Callable[Concatenate[SQLiteCatalog, P], T], *args: P.args, **kwargs: P.kwargs
    ) -> T:
        if not self._waiting and not self._queued:  # settled: one side answers, in order
            return await self._answer(method, args, kwargs)
        self._queued += 1
        answer: T = await finished(self._call(method, args, kwargs))
        return answer

    def _fall_back(self) -> None:
        """The child died (killed, out of memory): the calls it had are lost (their
        callers see why), and the thread, still open, answers from now on."""
        if self._current is self._process:
            self._current = self._thread
            _log.error(
                "the catalog's own process exited; the catalog goes on in this process "
                "(slower for big resyncs until ocean restarts)"
            )

    async def _call(
        self,
        method: Callable[Concatenate[SQLiteCatalog, P], T],
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
    ) -> T:
        try:
            async with self._turn:
                if self._waiting:
                    self._maybe_hand_over()
                return await self._answer(method, args, kwargs)
        finally:
            self._queued -= 1

    async def _answer(
        self,
        method: Callable[Concatenate[SQLiteCatalog, P], T],
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
    ) -> T:
        try:
            return await self._current.call(method, *args, **kwargs)
        except CatalogProcessExitedError:
            self._fall_back()
            raise

    def _maybe_hand_over(self) -> None:
        opened = self._process.has_opened()
        if opened is None:
            return
        self._waiting = False
        if opened:
            self._current = self._process
        else:
            error = self._process.opening_error()
            _log.warning("the catalog's own process did not open (%s); using a thread", error)

    async def stop(self) -> None:
        """The child's catalog closes first, so that the thread's connection, the last,
        makes the final checkpoint while the child exits; a caller cancelled meanwhile
        lets both sides finish closing."""
        await finished(self._stop())

    async def _stop(self) -> None:
        async with self._turn:
            await self._process.closed()
            ended = await asyncio.gather(
                self._process.stop(), self._thread.stop(), return_exceptions=True
            )
        for outcome in ended:
            if isinstance(outcome, BaseException):
                raise outcome
