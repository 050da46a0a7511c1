"""``port_ocean.exceptions.execution_manager``: what action executors raise, as the
original's (``ActionExecutionError``: an expected failure, reported by its message)."""

from __future__ import annotations

from port_ocean._unsupported import missing


class DuplicateActionExecutorError(Exception):
    """An executor is already registered for this action."""


class RunAlreadyAcknowledgedError(Exception):
    """The action run was acknowledged already."""


class ActionExecutionError(Exception):
    """An expected failure of an action (bad input, a refusal upstream)."""


__all__ = ["ActionExecutionError", "DuplicateActionExecutorError", "RunAlreadyAcknowledgedError"]
__getattr__ = missing(__name__)
