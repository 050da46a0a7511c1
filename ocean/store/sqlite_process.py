"""The embedded catalog's connection in a child process of its own (a resync's writes).

A resync maps pages in Python and the catalog plans and writes them in Python around its
SQL; in one process the two take turns on the interpreter's lock however many threads
there are. Here :class:`~ocean.store.sqlite_catalog.SQLiteCatalog` (and its checkpoint
thread) lives in a child process (:mod:`ocean.store.catalog_child`) started with the
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
import sys
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import IO, Any, Concatenate, ParamSpec, TypeVar

from ocean.errors import StoreError
from ocean.store.catalog_child import LENGTH, write_frame
from ocean.store.sqlite_catalog import SQLiteCatalog

P = ParamSpec("P")
T = TypeVar("T")


class CatalogProcess:
    """Start with :meth:`start`; calls run in the child in the order they are made.

    The pipes are used from the event loop's thread: a thread of their own would wait for
    the interpreter's lock behind the mapping at every step of every call. A request is
    written whole before the call goes on (the child is waiting for it, so that takes a
    memory copy's time): written piecemeal by the loop, a batch larger than the pipe would
    wait for the loop's turns, which a handler that never awaits makes rare. The answer is
    awaited, so that the mapping goes on meanwhile."""

    def __init__(self, child: asyncio.subprocess.Process, requests: IO[bytes], what: str) -> None:
        self._child, self._requests, self._what = child, requests, what
        self._turn = asyncio.Lock()
        """Held from a request's first byte to its answer's last."""
        self._opening: asyncio.Future[Any] = asyncio.ensure_future(self._answer())
        """The child's first answer: the catalog opened, or why not."""
        self._opening.add_done_callback(taken)

    @classmethod
    async def start(cls, path: Path) -> CatalogProcess:
        """The child serving the catalog at ``path``; its opening is awaited by the first
        call, so that it overlaps whatever the caller does next."""
        theirs, ours = os.pipe()
        try:
            child = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "ocean.store.catalog_child",
                str(path),
                stdin=theirs,
                stdout=asyncio.subprocess.PIPE,
                env=_child_environment(),
            )
        except BaseException:
            os.close(ours)
            raise
        finally:
            os.close(theirs)
        return cls(child, open(ours, "wb"), f"the catalog {path}")

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
        request = pickle.dumps((method.__name__, args, kwargs), pickle.HIGHEST_PROTOCOL)
        # The next answer on the pipe must be the next call's.
        answer: T = await finished(self._exchange(request))
        return answer

    async def _exchange(self, request: bytes) -> Any:
        async with self._turn:
            await self._opening  # its error, if it failed, is every call's
            try:
                write_frame(self._requests, request)
            except OSError:  # it exited: its answer (if any) or its exit is the error
                pass
            return await self._answer()

    async def _answer(self) -> Any:
        stdout = self._child.stdout
        assert stdout is not None
        try:
            (size,) = LENGTH.unpack(await stdout.readexactly(LENGTH.size))
            frame = await stdout.readexactly(size)
        except asyncio.IncompleteReadError:
            code = await self._child.wait()
            raise StoreError(
                f"{self._what}: its process exited (code {code}) before answering; what "
                "was written is kept, run again (a crash is worth an issue)"
            ) from None
        ok, value = pickle.loads(frame)
        if not ok:
            raise value
        return value

    async def stop(self) -> None:
        """Close the catalog (its input ends) and wait for the child to exit."""
        async with self._turn:
            with contextlib.suppress(OSError):  # a child that is gone has it closed
                self._requests.close()
            await self._child.wait()
            await self.opened()


def _child_environment() -> dict[str, str]:
    """This environment, with the folder this ``ocean`` package was imported from first on
    the child's path: the child runs the same code, however the parent found it."""
    home = str(Path(__file__).resolve().parents[2])
    path = os.environ.get("PYTHONPATH")
    return os.environ | {"PYTHONPATH": home + (os.pathsep + path if path else "")}


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
