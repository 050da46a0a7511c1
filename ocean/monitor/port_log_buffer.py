"""The records waiting to be shipped to Port (:mod:`ocean.monitor.port_logs`): the handler
that keeps them, serialized, within a cap of records and of text (the oldest dropped and
counted), and the pace they go at.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from ocean.monitor.port_log_entries import entry, weight

LEVEL = logging.INFO
"""The level shipped from (the console's when it is lower)."""


@dataclass(frozen=True)
class Pace:
    """How the log is batched and sent."""

    batch: int = 100
    """Records a call carries at most (a batch this size is sent at once)."""
    interval: float = 5.0
    """Seconds records wait at most for a batch to fill (and between reads of the record
    while the integration is not installed)."""
    cap: int = 10_000
    """Records kept at most while Port does not take them (the oldest dropped)."""
    cap_text: int = 16 * 1024 * 1024
    """Characters of text the records kept hold at most (the oldest dropped): each text is
    at most 32,768 (:data:`~ocean.monitor.port_log_entries.TEXT`), 10,000 of them would be
    hundreds of MB."""
    call_seconds: float = 5.0
    """How long one call may take."""
    close_seconds: float = 5.0
    """How long the stop waits for what remains to be sent."""


class PortLogHandler(logging.Handler):
    """Keeps the records to ship, serialized, at most ``pace.cap`` of them holding at most
    ``pace.cap_text`` characters (the oldest dropped and counted in :attr:`dropped`);
    ``wake`` is told each time the buffer grows to a batch more (not while it drops)."""

    def __init__(
        self,
        admits: Callable[[logging.LogRecord], bool],
        context: Mapping[str, Any],
        pace: Pace,
        wake: Callable[[], None],
    ) -> None:
        super().__init__(LEVEL)
        self._admits, self._context, self._pace, self._wake = admits, context, pace, wake
        self._entries: deque[tuple[dict[str, Any], int]] = deque()
        self._text = 0
        """The characters the records kept hold."""
        self.dropped = 0

    def filter(self, record: logging.LogRecord) -> bool:
        """Its own rules only: the filters put on every handler of the root logger (the
        console's masking, which keeps a secret's first characters) are not for Port."""
        return self._admits(record)

    def emit(self, record: logging.LogRecord) -> None:
        try:
            shipped = entry(record, self._context)
            size = weight(shipped)
        except Exception:
            self.handleError(record)
            return
        self._entries.append((shipped, size))  # (under the handler's lock: see handle)
        self._text += size
        full = False
        while len(self._entries) > 1 and (
            len(self._entries) > self._pace.cap or self._text > self._pace.cap_text
        ):
            self._text -= self._entries.popleft()[1]
            self.dropped += 1
            full = True
        if not full and len(self._entries) % self._pace.batch == 0:
            self._wake()  # (a full buffer waits for the interval: no wake for each record)

    def take(self, count: int) -> list[dict[str, Any]]:
        """The ``count`` oldest records waiting (fewer if fewer wait), no longer kept."""
        self.acquire()
        try:
            taken = [self._entries.popleft() for _ in range(min(count, len(self._entries)))]
            self._text -= sum(size for _, size in taken)
        finally:
            self.release()
        return [shipped for shipped, _ in taken]

    def __len__(self) -> int:
        return len(self._entries)
