"""``port_ocean.exceptions.execution_manager``: what action executors raise, as the
original's (``ActionExecutionError``: an expected failure, reported by its message)."""

from __future__ import annotations

from ocean.errors import ActionFailedError
from port_ocean._unsupported import missing


class DuplicateActionExecutorError(Exception):
    """An executor is already registered for this action."""


class RunAlreadyAcknowledgedError(Exception):
    """The action run was acknowledged already."""


class ActionExecutionError(ActionFailedError):
    """An expected failure of an action (bad input, a refusal upstream): the run ends
    FAILURE with this message, without a traceback (Ocean's ``ActionFailedError``)."""


__all__ = ["ActionExecutionError", "DuplicateActionExecutorError", "RunAlreadyAcknowledgedError"]
__getattr__ = missing(__name__)
