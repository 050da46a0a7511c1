"""How an Ocean process runs its coroutine: the event loop, the cycle collector's pace and
how often threads take turns on the interpreter's lock.

A resync keeps tens of thousands of objects alive at once (pages, mapped entities, the
keys it produced). CPython's cycle collector traverses every live object in each full
(oldest-generation) pass, and with its default pace those passes took a third of a 50k
sync's time. With :func:`pace_collector`, young garbage is still collected as usual; full
passes wait for a hundred middle-generation passes instead of ten, and what exists before
the work starts (modules, classes, settings) is frozen out of them.

The catalog's thread (or, in its own process, the thread reading requests) hands the lock
back after every call; with CPython's 5 ms switch interval it would wait that long
whenever the mapping holds the lock.
"""

from __future__ import annotations

import gc
import sys
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")

FULL_PASS_EVERY = 100
"""Middle-generation passes between full passes of the cycle collector (CPython: 10)."""
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
    """Make full collections rare and leave start-up objects out of them."""
    young, middle, _ = gc.get_threshold()
    gc.set_threshold(young, middle, FULL_PASS_EVERY)
    gc.freeze()
