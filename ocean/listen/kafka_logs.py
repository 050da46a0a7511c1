"""aiokafka's own log while its broker is away: each of its warnings and errors once a
minute, not ten times a second.

With the broker stopped, aiokafka logs at ERROR every time it retries (``Unable connect to
node``, ``Unable to update metadata``, ``Group Coordinator Request failed``...: about 30
lines a second for each replica), which buries everything else. The same line (logger,
level and message template) is shown once per :data:`EVERY` seconds, the next one shown
saying how many were left out; INFO and DEBUG pass as they come.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

EVERY = 60.0
"""Seconds during which a line aiokafka repeats is shown once."""
_KEPT = 1_000
"""Lines remembered at most (aiokafka's are templates, so this is never reached in use)."""


class Throttle(logging.Filter):
    """Passes a warning or error once per ``every`` seconds for each logger, level and
    message template; the next one passed counts those left out."""

    def __init__(self, every: float = EVERY, clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__()
        self.every, self.clock = every, clock
        self._shown: dict[tuple[str, int, str], tuple[float, int]] = {}

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno < logging.WARNING:
            return True
        key, now = (record.name, record.levelno, str(record.msg)), self.clock()
        shown_at, left_out = self._shown.get(key, (None, 0))
        if shown_at is not None and now - shown_at < self.every:
            self._shown[key] = (shown_at, left_out + 1)
            return False
        if len(self._shown) >= _KEPT:
            self._shown.clear()
        self._shown[key] = (now, 0)
        if left_out:
            record.msg = f"{record.msg} ({left_out} more like it in {self.every:g} s not shown)"
        return True


def throttle_kafka_logs() -> None:
    """Put one :class:`Throttle` on aiokafka's loggers (each module's, where records are
    filtered: a parent's filters do not apply to its children's records); a logger that
    has one keeps it, and the others share it."""
    names = [name for name in logging.root.manager.loggerDict if name.split(".")[0] == "aiokafka"]
    loggers = [logging.getLogger(name) for name in ["aiokafka", *names]]
    kept = [f for logger in loggers for f in logger.filters if isinstance(f, Throttle)]
    throttle = kept[0] if kept else Throttle()
    for logger in loggers:
        if not any(isinstance(f, Throttle) for f in logger.filters):
            logger.addFilter(throttle)
