"""``port_ocean.utils.signal``: callbacks run when the integration stops, as the original's
``signal_handler`` runs them (to close clients, remove temporary files, ...).

``signal_handler.register(callback, priority=0)`` returns an id for ``unregister``; when the
integration stops (after a ONCE resync, or when a long-running ``ocean sail`` is asked to
stop) the callbacks run, highest priority first, a coroutine function's awaited. Unlike the
original, a callback that raises is logged and the others still run.
"""

from __future__ import annotations

from typing import Any

from port_ocean._stop_callbacks import SignalHandler
from port_ocean._unsupported import missing

__all__ = ["SignalHandler", "init_signal_handler"]


def init_signal_handler() -> None:
    """Accepted for the original's entry points; Ocean's handler always exists."""


def __getattr__(name: str) -> Any:
    if name == "signal_handler":
        from port_ocean.context.ocean import ocean

        return ocean.stop_callbacks
    return missing(__name__)(name)
