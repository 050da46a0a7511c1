"""The embedded catalog's connection in a child process of its own (a resync's writes).

A resync maps pages in Python and the catalog plans and writes them in Python around its
SQL; in one process the two take turns on the interpreter's lock however many threads
there are. Here :class:`~ocean.store.sqlite_catalog.SQLiteCatalog` (and its checkpoint
thread) lives in a child process started with the store: each call crosses a pipe as one
pickled request and comes back as one pickled answer, one call at a time, so write
transactions never interleave, as on a thread. Bulk writes cross as columns
(:class:`~ocean.store.writes.PreparedBatch`, :class:`~ocean.store.writes.WriteOutcomes`):
pickling an object per entity would cost more than writing it.

The child is ``python -m ocean.store.sqlite_process PATH``: it answers the opening first
(None, or the error), then serves calls until its input ends.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import functools
import os
import pickle
import signal
import sqlite3
import struct
import sys
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any, Concatenate, ParamSpec, TypeVar

from ocean.errors import StoreError
from ocean.store.sqlite_catalog import SQLiteCatalog

P = ParamSpec("P")
T = TypeVar("T")
_LENGTH = struct.Struct("<Q")
_PIPE_SIZE = 1 << 20


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
        self._opening.add_done_callback(_taken)

    @classmethod
    async def start(cls, path: Path) -> CatalogProcess:
        """The child serving the catalog at ``path``; its opening is awaited by the first
        call, so that it overlaps whatever the caller does next."""
        theirs, ours = os.pipe()
        try:
            child = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "ocean.store.sqlite_process",
                str(path),
                stdin=theirs,
                stdout=asyncio.subprocess.PIPE,
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

    async def call(
        self, method: Callable[Concatenate[SQLiteCatalog, P], T], *args: P.args, **kwargs: P.kwargs
    ) -> T:
        request = pickle.dumps((method.__name__, args, kwargs), pickle.HIGHEST_PROTOCOL)
        exchange = asyncio.ensure_future(self._exchange(request))
        exchange.add_done_callback(_taken)
        # A caller cancelled halfway leaves the exchange to finish: the next answer on the
        # pipe must be the next call's.
        answer: T = await asyncio.shield(exchange)
        return answer

    async def _exchange(self, request: bytes) -> Any:
        async with self._turn:
            await self._opening  # its error, if it failed, is every call's
            try:
                _write_frame(self._requests, request)
            except OSError:  # it exited: its answer (if any) or its exit is the error
                pass
            return await self._answer()

    async def _answer(self) -> Any:
        stdout = self._child.stdout
        assert stdout is not None
        try:
            (size,) = _LENGTH.unpack(await stdout.readexactly(_LENGTH.size))
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
            await asyncio.wait([self._opening])


def _taken(exchange: asyncio.Future[Any]) -> None:
    """Take an exchange's error, which a cancelled caller (or none) will not."""
    if not exchange.cancelled():
        exchange.exception()


def _widen(fd: int) -> None:
    """Let a pipe hold a whole batch (1 MiB where the system allows, else as it is): with
    64 KiB a batch's write waits for the reader a dozen times."""
    if hasattr(fcntl, "F_SETPIPE_SZ"):
        with contextlib.suppress(OSError):
            fcntl.fcntl(fd, fcntl.F_SETPIPE_SZ, _PIPE_SIZE)


def _write_frame(stream: IO[bytes], data: bytes) -> None:
    stream.write(_LENGTH.pack(len(data)))
    stream.write(data)
    stream.flush()


def _read_frame(stream: IO[bytes]) -> bytes | None:
    header = stream.read(_LENGTH.size)
    if len(header) < _LENGTH.size:
        return None
    (size,) = _LENGTH.unpack(header)
    data = stream.read(size)
    return data if len(data) == size else None


def _answered(run: Callable[[], Any], failed: str) -> bytes:
    """What ``run`` returned or raised, pickled as an answer; a database error becomes a
    StoreError that starts with ``failed``."""
    try:
        answer: tuple[bool, Any] = (True, run())
    except (sqlite3.Error, OSError) as error:
        answer = (False, StoreError(f"{failed}{error}"))
    except Exception as error:
        answer = (False, error)
    try:
        return pickle.dumps(answer, pickle.HIGHEST_PROTOCOL)
    except Exception as error:
        return pickle.dumps((False, StoreError(f"{failed}an unpicklable answer: {error!r}")))


def serve(path: Path, requests: IO[bytes], answers: IO[bytes]) -> None:
    """Open the catalog at ``path``, then answer each request until ``requests`` ends."""
    opened: list[SQLiteCatalog] = []
    _write_frame(
        answers,
        _answered(
            lambda: opened.append(SQLiteCatalog.open(path)), f"cannot open the catalog {path}: "
        ),
    )
    if not opened:
        return
    catalog = opened[0]
    try:
        while (frame := _read_frame(requests)) is not None:
            name, args, kwargs = pickle.loads(frame)
            call = functools.partial(getattr(catalog, name), *args, **kwargs)
            answer = _answered(call, f"the catalog {path} failed: ")
            _write_frame(answers, answer)
    finally:
        catalog.close()


def main() -> None:
    """The child: answers go to a copy of its standard output, which is pointed at its
    standard error, so that nothing printed by the way corrupts them. An interrupt is the
    parent's to handle: the child ends when its input does."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    for fd in (sys.stdin.fileno(), sys.stdout.fileno()):
        _widen(fd)
    answers = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    serve(Path(sys.argv[1]), sys.stdin.buffer, answers)


if __name__ == "__main__":
    main()
