"""The embedded catalog's connection in a child process of its own (a resync's writes).

A resync maps pages in Python and the catalog plans and writes them in Python around its
SQL; in one process the two take turns on the interpreter's lock however many threads
there are. Here :class:`~ocean.store.sqlite.catalog.SQLiteCatalog` (and its checkpoint
thread) lives in a child process (:mod:`ocean.store.sqlite.child`) started with the
store: each call crosses a pipe as one pickled request and comes back as one pickled
answer, one call at a time, so write transactions never interleave, as on a thread. Bulk
writes cross as columns (:class:`~ocean.store.writes.PreparedBatch`,
:class:`~ocean.store.writes.WriteOutcomes`): pickling an object per entity would cost
more than writing it.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import pickle
import subprocess
from collections import deque
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import IO, Any, Concatenate, ParamSpec, TypeVar

from ocean.errors import CatalogUnavailableError, StoreError
from ocean.store.sqlite.catalog import SQLiteCatalog
from ocean.store.sqlite.child import LENGTH, write_frame
from ocean.store.sqlite.spawn import SpareCatalog

P = ParamSpec("P")
T = TypeVar("T")


class CatalogProcess:
    """Start with :meth:`start`; calls run in the child in the order they are made. A call
    is sent at once, without waiting for the answers before it (a thread of the child
    reads requests as they come and queues them), so that the child has the next write
    while it does one, and never waits for this process in between.

    The pipes are used from the event loop's thread: a thread of their own would wait for
    the interpreter's lock behind the mapping at every step of every call. A request is
    written whole when the call is made (the child drains the pipe as it comes, so that
    takes a memory copy's time): written piecemeal by the loop, a batch larger than the pipe
    would wait for the loop's turns, which a handler that never awaits makes rare. Answers
    are cut into frames as they arrive (:class:`_Answers`), so a call's caller wakes at the
    loop's first turn after its answer."""

    def __init__(
        self, child: subprocess.Popen[bytes], requests: IO[bytes], answers: _Answers, what: str
    ) -> None:
        self._child, self._requests, self._answers, self._what = child, requests, answers, what
        self._opening = answers.opening
        """The child's first answer: the catalog opened, or why not."""
        self._opening.add_done_callback(taken)
        self._early = 0
        """Calls made before the catalog opened that have not been sent yet."""
        self._order = asyncio.Lock()
        """Keeps those in the order they were made."""

    @classmethod
    async def start(cls, path: Path, spare: SpareCatalog | None = None) -> CatalogProcess:
        """The child serving the catalog at ``path`` (``spare``, started ahead, or a new
        one); its opening is awaited by the first call, so that it overlaps whatever the
        caller does next."""
        child, requests, answered = (spare or SpareCatalog.start()).take()
        try:
            write_frame(requests, os.fsencode(path.absolute()))  # its first frame: which file
        except OSError:  # it exited: the opening's answer (or the exit) says why
            pass
        answers = open(answered, "rb", buffering=0)
        reader = _Answers()  # expecting the opening's answer before any can come
        await asyncio.get_running_loop().connect_read_pipe(lambda: reader, answers)
        return cls(child, requests, reader, f"the catalog {path}")

    async def _exited(self) -> int:
        """The child's exit code, once it has exited."""
        return await asyncio.to_thread(self._child.wait)

    @property
    def where(self) -> str:
        return "process"

    @property
    def pid(self) -> int:
        """The child's process id."""
        return self._child.pid

    def has_opened(self) -> bool | None:
        """Whether the child opened the catalog; None while it is still opening."""
        if not self._opening.done():
            return None
        return self.opening_error() is None

    def opening_error(self) -> BaseException | None:
        """Why the child could not open the catalog (None: it did, or is still opening)."""
        if not self._opening.done() or self._opening.cancelled():
            return None
        return self._opening.exception()

    async def opened(self) -> None:
        """Wait until the child has opened the catalog or failed to (not raising)."""
        await asyncio.wait([self._opening])

    async def call(
        self, method: Callable[Concatenate[SQLiteCatalog, P], T], *args: P.args, **kwargs: P.kwargs
    ) -> T:
        request = pickle.dumps((method, args, kwargs), pickle.HIGHEST_PROTOCOL)
        if self._opening.done() and not self._early:
            answer = self._send(request)
        else:
            answer = await self._send_once_open(request)
        try:
            value: T = await answer
        except _Exited:
            code = await self._exited()
            raise CatalogProcessExitedError(
                f"{self._what}: its process exited (code {code}) before answering; what "
                "was written is kept, run again (a crash is worth an issue)"
            ) from None
        return value

    def _send(self, request: bytes) -> asyncio.Future[Any]:
        """Send a request now; the future of its answer."""
        self._opening.result()  # its error, if it failed, is every call's
        try:
            write_frame(self._requests, request)
        except OSError:  # it exited: its answer (if any) or its exit is the error
            pass
        return self._answers.expect()

    async def _send_once_open(self, request: bytes) -> asyncio.Future[Any]:
        self._early += 1
        try:
            async with self._order:
                await asyncio.wait([self._opening])
                return self._send(request)
        finally:
            self._early -= 1

    async def stop(self) -> None:
        """Close the catalog (see :meth:`closed`) and wait for the child to exit."""
        await self.closed()
        await self._exited()
        await self.opened()

    async def closed(self) -> None:
        """Close the catalog: its input ends, once every call has its answer, and the
        child closes its catalog, then its answers, then exits (which for a process holding
        a resync's memory takes the kernel tens of milliseconds: a caller may overlap it
        with its own closing before :meth:`stop`)."""
        await self._answers.drained()
        with contextlib.suppress(OSError):  # a child that is gone has it closed
            self._requests.close()
        await asyncio.wait([self._answers.ended])  # (a cancelled caller leaves it to others)


class CatalogProcessExitedError(CatalogUnavailableError):
    """The catalog's process exited before it answered a call."""


class _Exited(Exception):
    """The child's answers ended before this one."""

    def __str__(self) -> str:
        return "its process exited before answering"


class _Answers(asyncio.Protocol):
    """The child's answers, cut into frames as they arrive, each settling the oldest call
    still waiting (the child answers in order)."""

    def __init__(self) -> None:
        self._waiting: deque[asyncio.Future[Any]] = deque()
        self._buffer = bytearray()
        self.ended: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        """Done when the answers have ended: the child closed them, or exited."""
        self.opening = self.expect()
        """The first answer: the catalog opened, or why not."""

    def expect(self) -> asyncio.Future[Any]:
        """The future of the next answer not yet expected."""
        future = asyncio.get_running_loop().create_future()
        if self.ended.done():
            future.set_exception(_Exited())
        else:
            self._waiting.append(future)
        return future

    async def drained(self) -> None:
        """Wait until every answer expected has come (or the answers ended)."""
        if self._waiting:
            await asyncio.wait(list(self._waiting))

    def data_received(self, data: bytes) -> None:
        buffer = self._buffer
        buffer += data
        while len(buffer) >= LENGTH.size:
            (size,) = LENGTH.unpack_from(buffer)
            end = LENGTH.size + size
            if len(buffer) < end:
                return
            with memoryview(buffer) as frame:
                self._settle(frame[LENGTH.size : end])
            del buffer[:end]

    def _settle(self, frame: memoryview) -> None:
        future = self._waiting.popleft()
        if future.cancelled():  # its caller gave up; the answer is dropped in order
            return
        try:
            ok, value = pickle.loads(frame)
        except Exception as error:
            future.set_exception(StoreError(f"an unreadable answer from the catalog: {error!r}"))
            return
        if ok:
            future.set_result(value)
        else:
            future.set_exception(value)

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.ended.done():
            self.ended.set_result(None)
        while self._waiting:
            future = self._waiting.popleft()
            if not future.done():
                future.set_exception(_Exited())


async def finished(coroutine: Coroutine[Any, Any, T]) -> T:
    """What ``coroutine`` returns; a caller cancelled meanwhile lets it run to its end (its
    error taken), so that a call is never left half made."""
    task = asyncio.ensure_future(coroutine)
    task.add_done_callback(taken)
    return await asyncio.shield(task)


def taken(exchange: asyncio.Future[Any]) -> None:
    """Take an exchange's error, which a cancelled caller (or none) will not."""
    if not exchange.cancelled():
        exchange.exception()
