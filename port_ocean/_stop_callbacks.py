"""Callbacks run once when the integration stops (``port_ocean.utils.signal``), kept out
of the ``port_ocean.utils`` package: importing that creates the shared HTTP client."""

from __future__ import annotations

import inspect
import logging
import uuid
from collections.abc import Callable
from typing import Any

_log = logging.getLogger("port_ocean.utils.signal")


class SignalHandler:
    """Callbacks to run once, when the integration stops."""

    def __init__(self) -> None:
        self._handlers: dict[str, tuple[Callable[[], Any], int]] = {}

    def register(self, callback: Callable[[], Any], priority: int = 0) -> str:
        """Run ``callback`` when the integration stops (higher ``priority`` runs first)."""
        key = str(uuid.uuid4())
        self._handlers[key] = (callback, priority)
        return key

    def unregister(self, _id: str) -> None:
        """Forget the callback ``register`` returned ``_id`` for."""
        del self._handlers[_id]

    async def exit(self) -> None:
        """Run every callback once, highest priority first (then in registration order)."""
        ordered = sorted(self._handlers.values(), key=lambda handler: -handler[1])
        self._handlers = {}
        for callback, _ in ordered:
            try:
                result = callback()
                if inspect.isawaitable(result):
                    await result
            except Exception:
                _log.exception("the stop callback %r raised; the others still run", callback)
