"""The PostgreSQL server's clock, which every replica stamps its writes with.

A resync deletes what its integration owns that it did not produce and that nobody wrote
since it started: the start is one process's time, the writes since are stamped by others
(a replica applying live events, the catalog server). Stamped by each process's own clock,
a replica whose clock is behind would stamp a write made after the start as older, and the
resync would delete it. So the store reads the server's time once (``clock_timestamp()``,
halfway through the round trip) and counts on from there with this process's monotonic
clock (``CLOCK_BOOTTIME`` where there is one: it counts a suspended machine's sleep too),
which a step of the system clock does not move; it reads it again every
:data:`READ_EVERY` seconds, before a write or a resync's start, to follow the server's own
adjustments. What is left is the round trip's uncertainty (a millisecond on a local
network), not the hosts' skew.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable

import asyncpg

from ocean.store.base import iso_at

READ_EVERY = 300.0
"""Seconds between two reads of the server's time."""


def _since_boot() -> float:
    return time.clock_gettime(time.CLOCK_BOOTTIME)


_STEADY: Callable[[], float] = _since_boot if hasattr(time, "CLOCK_BOOTTIME") else time.monotonic
"""A clock no step of the system's moves (and, on Linux, that counts sleep)."""


class ServerClock:
    """The server's time, counted on by this process's steady clock."""

    def __init__(self, monotonic: Callable[[], float] = _STEADY) -> None:
        self._monotonic = monotonic
        self._server: dt.datetime | None = None
        """The server's time when it was last read (None: never read)."""
        self._read_at = 0.0
        """This process's monotonic time then."""

    def due(self) -> bool:
        """Whether the server's time should be read again."""
        return self._server is None or self._monotonic() - self._read_at >= READ_EVERY

    async def read(self, pool: asyncpg.Pool) -> None:
        """Read the server's time, as of halfway through the query's round trip (the
        connection taken first, so that waiting for one does not count)."""
        async with pool.acquire() as db:
            before = self._monotonic()
            server = await db.fetchval("SELECT clock_timestamp()")
            after = self._monotonic()
        self._server, self._read_at = server, (before + after) / 2

    def now(self) -> str:
        """The server's time now (this process's own clock's before the first read)."""
        if self._server is None:
            return iso_at(dt.datetime.now(dt.UTC))
        elapsed = dt.timedelta(seconds=self._monotonic() - self._read_at)
        return iso_at(self._server + elapsed)
