"""How an Ocean process runs its coroutine: the event loop, the cycle collector's pace and
how often threads take turns on the interpreter's lock.

A resync keeps tens of thousands of objects alive at once (pages, mapped entities, the
rows of the writes under way), each for a few hundred milliseconds. CPython's cycle
collector traverses every live object of a generation in each of its passes: with its
default pace (on 3.11 and 3.12 a young pass every 700 net allocations, a full one every
70,000) those passes took a third of a 50k sync's time, and with full passes made rare
the young and middle ones still took 7-10% of the resync's process (70-114 ms of a 50k
first sync, each entity traversed while it waited to be written). :func:`pace_collector`
has a young pass wait for 100,000 net allocations of tracked objects (a pass then finds
most of a page's objects already freed by their reference counts), middle and full
passes for ten of the pass below, and freezes what exists before the work starts
(modules, classes, settings) out of them. Garbage in cycles is still found, about every
100,000 net allocations while it is young; what had been alive at a young pass waits for
a middle or full pass, so a process that goes on frees what a resync left with a full
pass (:func:`release_garbage`): a listening ``ocean sail`` after each resync, once its
error is handled, and the catalog's process when it idles after some work.

The catalog's thread (or, in its own process, the thread reading requests) hands the lock
back after every call; with CPython's 5 ms switch interval it would wait that long
whenever the mapping holds the lock.
"""

from __future__ import annotations

import atexit
import contextlib
import gc
import os
import sys
import threading
from collections.abc import Coroutine
from typing import Any, NoReturn, TypeVar

T = TypeVar("T")

YOUNG_PASS_AFTER = 100_000
"""Net allocations of tracked objects between young passes of the cycle collector
(CPython 3.11-3.12: 700; 3.13: 2,000). With 10,000 a 50k first sync still spent 90 ms in
60 passes."""
MIDDLE_PASS_EVERY = 10
"""Young passes between middle-generation passes (CPython: 10)."""
FULL_PASS_EVERY = 10
"""Middle-generation passes between full passes (CPython: 10; with young passes 140
times rarer, full ones are too)."""
SWITCH_INTERVAL = 0.0005
"""Seconds a thread holds the interpreter's lock while another waits (CPython: 0.005)."""


def run_process(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run ``coroutine`` to completion on uvloop where installed (Linux, macOS), else asyncio."""
    try:
        import uvloop
    except ImportError:
        import asyncio

        return asyncio.run(coroutine)
    return uvloop.run(coroutine)


def tune_interpreter() -> None:
    """Pace the collector and shorten the switch interval: for a process's entry point
    (``ocean``, ``port_ocean.run``, the catalog's process), which owns the interpreter."""
    sys.setswitchinterval(SWITCH_INTERVAL)
    pace_collector()


def pace_collector() -> None:
    """Make collections rare and leave start-up objects out of them."""
    gc.set_threshold(YOUNG_PASS_AFTER, MIDDLE_PASS_EVERY, FULL_PASS_EVERY)
    gc.freeze()


def release_garbage() -> None:
    """A full pass of the cycle collector where :func:`pace_collector` made passes rare
    (a process that runs resync after resync calls it after each, once the resync's error
    is handled: what it left in cycles is freed then, not millions of allocations later);
    elsewhere nothing."""
    if gc.get_threshold()[0] == YOUNG_PASS_AFTER:
        gc.collect()


def exit_now(code: object) -> NoReturn:
    """End a finished command's process with ``code`` (as :class:`SystemExit` takes it)
    without the interpreter's teardown, which frees every module one by one (20 ms for
    Ocean's, a tenth of a small sync) and saves nothing a finished command needs: the
    exit handlers run (logging's shutdown, ``weakref.finalize`` among them) and the
    standard streams are flushed, then the process ends; objects are not finalized. It
    exits as usual while a thread that is not a daemon is still running (after that
    thread), and under a tracer or profiler (``python -m cProfile`` writes its profile
    after the command returns)."""
    others = [t for t in threading.enumerate() if t is not threading.main_thread()]
    if _watched() or any(thread.is_alive() and not thread.daemon for thread in others):
        raise SystemExit(code)
    if code is None:
        status = 0
    elif isinstance(code, int):
        status = code
    else:  # a message, as the interpreter shows it
        print(code, file=sys.stderr)
        status = 1
    atexit._run_exitfuncs()
    for stream in dict.fromkeys((sys.stdout, sys.stderr, sys.__stdout__, sys.__stderr__)):
        if stream is None or stream.closed:  # none, or closed by the command: skipped
            continue
        try:
            stream.flush()
        except Exception as error:  # as the interpreter: said if it can be, status 120
            with contextlib.suppress(Exception):
                print(f"cannot flush {stream.name}: {error}", file=sys.stderr, flush=True)
            status = status or 120
    os._exit(status)


def _watched() -> bool:
    """Whether a tracer, profiler or debugger watches this process (they report when it
    exits as usual): ``sys.settrace``/``setprofile`` ones, and on 3.12+ any tool of
    ``sys.monitoring``, which ``cProfile`` and coverage use there."""
    if sys.gettrace() is not None or sys.getprofile() is not None:
        return True
    monitoring = getattr(sys, "monitoring", None)
    return monitoring is not None and any(
        monitoring.get_tool(tool) is not None for tool in range(6)
    )
