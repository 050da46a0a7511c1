"""What acceptor processes tell the sail through their shared pipe (see
:mod:`ocean.live.acceptors`): that one serves (``R``), that events it put are in the queue
(``.``), and the live events it counted since it last told (a ``C`` frame: JSON of
``[[path, outcome, count], ...]`` ending in a newline), which the sail adds to its own
``/metrics``.

Several acceptors write into one pipe: each write is one frame of at most ``PIPE_BUF``
bytes, which the kernel writes whole or not at all, so frames never interleave. A write the
pipe has no room for now is made again later: counts are kept until they are told.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import select
from collections import Counter
from collections.abc import Callable

import orjson

from ocean.monitor.metrics import Metrics

READY, ARRIVED, COUNTS, END = b"R", b".", b"C", b"\n"
_FRAME_BYTES = min(select.PIPE_BUF, 4096)


def tell(fd: int, what: bytes) -> bool:
    """Write ``what`` (one frame) to the sail's pipe without waiting; False when the pipe
    is full (the sail has bytes left to read and will wake anyway)."""
    try:
        os.write(fd, what)
    except BlockingIOError:
        return False
    except BrokenPipeError:  # the sail is gone: the acceptor stops with its lifeline
        return True
    return True


class EventTally:
    """An acceptor's live-event counts, kept until told to the sail (the route's
    ``metrics``: see :class:`ocean.monitor.metrics.CountsEvents`)."""

    def __init__(self) -> None:
        self._counts: Counter[tuple[str, str]] = Counter()

    def event(self, path: str, outcome: str) -> None:
        self._counts[path, outcome] += 1

    def tell(self, fd: int) -> None:
        """Tell the counts kept, in frames; those the pipe has no room for are kept."""
        entries = [(path, outcome, n) for (path, outcome), n in self._counts.items()]
        self._counts.clear()
        while entries:
            frame, taken = _frame(entries)
            if len(frame) > _FRAME_BYTES:  # one path longer than a frame: not told, never
                entries = entries[taken:]  # written in part (route templates are short)
                continue
            if not tell(fd, frame):
                self._counts.update({(p, o): n for p, o, n in entries})
                return
            entries = entries[taken:]


def _frame(entries: list[tuple[str, str, int]]) -> tuple[bytes, int]:
    """The first frame of ``entries`` (as many as fit, at least one) and how many it holds."""
    taken = len(entries)
    while True:
        frame = COUNTS + orjson.dumps(entries[:taken]) + END
        if len(frame) <= _FRAME_BYTES or taken == 1:
            return frame, taken
        taken = max(1, taken // 2)


async def tell_every(tally: EventTally, fd: int, seconds: float) -> None:
    """Tell ``tally`` every ``seconds`` until cancelled, then once more."""
    try:
        while True:
            await asyncio.sleep(seconds)
            tally.tell(fd)
    finally:
        tally.tell(fd)


class Told(asyncio.Protocol):
    """The sail's end of the acceptors' pipe."""

    def __init__(self, arrived: Callable[[], None] | None, metrics: Metrics) -> None:
        self.ready = 0
        self.changed = asyncio.Event()
        self.ended = asyncio.Event()
        """Every acceptor's end of the pipe is closed: all they told has been read."""
        self._arrived, self._metrics = arrived, metrics
        self._partial = b""

    def data_received(self, data: bytes) -> None:
        data, self._partial = self._partial + data, b""
        while data:
            start = data.find(COUNTS)
            self._signals(data if start < 0 else data[:start])
            if start < 0:
                return
            end = data.find(END, start)
            if end < 0:  # the rest of the frame comes with the next read
                self._partial = data[start:]
                return
            self._count(data[start + 1 : end])
            data = data[end + 1 :]

    def connection_lost(self, exc: Exception | None) -> None:
        self.ended.set()

    def _signals(self, data: bytes) -> None:
        if READY in data:
            self.ready += data.count(READY)
            self.changed.set()
        if self._arrived is not None and ARRIVED in data:
            self._arrived()

    def _count(self, frame: bytes) -> None:
        with contextlib.suppress(ValueError, TypeError):  # never from our acceptors
            for path, outcome, n in orjson.loads(frame):
                self._metrics.add_events(str(path), str(outcome), int(n))
