"""The root logger lowered while the log is shipped to Port (:mod:`ocean.monitor.port_logs`),
so that the INFO records shipped are made, the handlers it had kept at their level (the
console shows what it showed); put back as it was when the last shipping of the process
stops (one that stops first must not put it back under another).

Module-level state, deliberately (the package otherwise keeps none): the root logger it
changes is itself one for the process.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable


class RootLowered:
    """The root logger lowered while any shipping of the process runs (:data:`ROOT`)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._holders = 0
        self._restore: Callable[[], None] = _nothing

    def hold(self, level: int) -> None:
        """One more shipping: the root at ``level`` at most (lowered by the first)."""
        with self._lock:
            if not self._holders:
                self._restore = _lowered(logging.getLogger(), level)
            self._holders += 1

    def release(self) -> None:
        """One shipping less: the root put back when none is left."""
        with self._lock:
            self._holders -= 1
            if not self._holders:
                restore, self._restore = self._restore, _nothing
                restore()


def _nothing() -> None:
    pass


ROOT = RootLowered()
"""The process's one hold on the root logger."""


def _lowered(root: logging.Logger, level: int) -> Callable[[], None]:
    """Lower ``root`` to ``level``, its handlers kept at the level it had (the console
    shows what it showed); what puts them back."""
    before = root.level
    if not before or level >= before:
        return _nothing
    kept = [(handler, handler.level) for handler in root.handlers if handler.level < before]
    for handler, _ in kept:
        handler.setLevel(before)
    root.setLevel(level)

    def restore() -> None:
        if root.level == level:
            root.setLevel(before)
        for handler, was in kept:
            if handler.level == before:
                handler.setLevel(was)

    return restore
