"""``port_ocean.exceptions.execution_manager``: what action executors raise, as the
original's (``ActionExecutionError``: an expected failure, reported by its message, with an
optional ``status_label``)."""

from __future__ import annotations

from ocean.errors import ActionFailedError
from port_ocean._unsupported import missing


class DuplicateActionExecutorError(Exception):
    """An executor is already registered for this action."""


class RunAlreadyAcknowledgedError(Exception):
    """The action run was acknowledged already."""


class ActionExecutionError(ActionFailedError):
    """An expected failure of an action (bad input, a refusal upstream): the run ends
    FAILURE with this message, without a traceback (Ocean's ``ActionFailedError``), and
    with ``status_label`` on it (two words at most; a subclass's ``DEFAULT_STATUS_LABEL``
    when not given, else ``Execution failed``), as in the original."""


__all__ = ["ActionExecutionError", "DuplicateActionExecutorError", "RunAlreadyAcknowledgedError"]
__getattr__ = missing(__name__)
