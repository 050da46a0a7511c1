"""The embedded catalog's child process: ``python -m ocean.store.sqlite.child``.

Its parent may start it before it knows the catalog (see :mod:`ocean.store.sqlite.spawn`):
the file's path is the first frame it reads. It opens the catalog, answers that first
(None, or the error), then answers each request in order (a pickled function taking the
:class:`~ocean.store.sqlite.catalog.SQLiteCatalog` first, usually one of its methods, and
its other arguments) with a pickled ``(ok, value or error)``, until its input ends. Its
parent is :class:`~ocean.store.sqlite.process.CatalogProcess`. Importing this module loads
no more than the catalog needs; what a resync's writes run (mapping pages handed over,
:mod:`ocean.store.sqlite.mapping`) is imported on a thread while it waits for its file.
"""

from __future__ import annotations

import contextlib
import functools
import importlib
import os
import pickle
import queue
import signal
import sqlite3
import struct
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any

from ocean.errors import StoreError
from ocean.process import release_garbage, tune_interpreter
from ocean.store.sqlite.catalog import SQLiteCatalog
from ocean.store.sqlite.failures import catalog_failure

_RESYNC_WRITES = "ocean.store.sqlite.mapping"
"""The module of what a resync's writes run here."""
LENGTH = struct.Struct("<Q")
"""A frame's length, before its bytes."""
_PIPE_SIZE = 1 << 20
IDLE_RELEASE = 5.0
"""Seconds without a request after which the child frees what its last work left in
cycles: it lives as long as a listening ``ocean sail``, its collector paced as the sail's."""


def _widen(fd: int) -> None:
    """Let a pipe hold a whole batch (1 MiB where the system allows, else as it is): with
    64 KiB a batch's write waits for the reader a dozen times."""
    try:
        import fcntl
    except ImportError:  # Windows: pipes keep their size
        return
    if hasattr(fcntl, "F_SETPIPE_SZ"):
        with contextlib.suppress(OSError):
            fcntl.fcntl(fd, fcntl.F_SETPIPE_SZ, _PIPE_SIZE)


def write_frame(stream: IO[bytes], data: bytes) -> None:
    stream.write(LENGTH.pack(len(data)))
    stream.write(data)
    stream.flush()


def _read_frame(stream: IO[bytes]) -> bytes | None:
    header = stream.read(LENGTH.size)
    if len(header) < LENGTH.size:
        return None
    (size,) = LENGTH.unpack(header)
    data = stream.read(size)
    return data if len(data) == size else None


def _answered(run: Callable[[], Any], failed: str) -> bytes:
    """What ``run`` returned or raised, pickled as an answer; a database error becomes a
    StoreError that starts with ``failed``."""
    try:
        answer: tuple[bool, Any] = (True, run())
    except (sqlite3.Error, OSError) as error:
        answer = (False, catalog_failure(f"{failed}{error}", error))
    except Exception as error:
        answer = (False, error)
    try:
        return pickle.dumps(answer, pickle.HIGHEST_PROTOCOL)
    except Exception as error:
        return pickle.dumps((False, StoreError(f"{failed}an unpicklable answer: {error!r}")))


def _run(catalog: SQLiteCatalog, request: bytes) -> Any:
    method, args, kwargs = pickle.loads(request)
    return method(catalog, *args, **kwargs)


def _read_ahead(requests: IO[bytes], idle: float = IDLE_RELEASE) -> Iterator[bytes]:
    """The requests, read on a thread as they come: the parent sends the next while this
    one runs, and must not wait for the pipe to drain. After ``idle`` seconds without a
    request following some, a full pass of the cycle collector frees what that work left
    in cycles (:func:`~ocean.process.release_garbage`), while nothing waits for it."""
    frames: queue.SimpleQueue[bytes | None] = queue.SimpleQueue()

    def read() -> None:
        try:
            while (frame := _read_frame(requests)) is not None:
                frames.put(frame)
        finally:
            frames.put(None)

    threading.Thread(target=read, name="catalog requests", daemon=True).start()
    worked = False
    while True:
        try:
            frame = frames.get(timeout=idle if worked else None)
        except queue.Empty:
            release_garbage()
            worked = False
            continue
        if frame is None:
            return
        worked = True
        yield frame


def serve(path: Path, requests: IO[bytes], answers: IO[bytes]) -> None:
    """Open the catalog at ``path``, then answer each request until ``requests`` ends."""
    opened: list[SQLiteCatalog] = []
    write_frame(
        answers,
        _answered(
            lambda: opened.append(SQLiteCatalog.open(path)), f"cannot open the catalog {path}: "
        ),
    )
    if not opened:
        return
    catalog = opened[0]
    try:
        for frame in _read_ahead(requests):
            answer = _answered(
                functools.partial(_run, catalog, frame), f"the catalog {path} failed: "
            )
            write_frame(answers, answer)
    finally:
        catalog.close()


def main() -> None:
    """The child: answers go to a copy of its standard output, which is pointed at its
    standard error, so that nothing printed by the way corrupts them. An interrupt or a
    termination is the parent's to handle (Ctrl+C, ``kill %1``, systemd's stop and
    ``timeout`` signal the whole process group, and the parent winds down through this
    child): the child ends when its input does, which the parent's death ends too."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    tune_interpreter()  # it maps pages too (see ocean.store.sqlite.mapping)
    for fd in (sys.stdin.fileno(), sys.stdout.fileno()):
        _widen(fd)
    answers = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    # What a resync's writes run, imported meanwhile (it waits for its file, then opens it).
    threading.Thread(target=importlib.import_module, args=(_RESYNC_WRITES,), daemon=True).start()
    path = _read_frame(sys.stdin.buffer)  # started ahead, it learns its file from its parent
    if path is not None:
        serve(Path(os.fsdecode(path)), sys.stdin.buffer, answers)
    answers.close()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)  # the catalog is closed: nothing left that the interpreter's teardown saves


if __name__ == "__main__":
    main()
