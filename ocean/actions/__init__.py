"""Self-service actions: executors an integration registers
(``ocean.register_action_executor``) run the runs users trigger in the catalog (see
:mod:`ocean.actions.manager`)."""

from __future__ import annotations

from ocean.actions.executor import Executor
from ocean.actions.run import ActionRuns, Run
from ocean.errors import ActionFailedError

__all__ = ["ActionFailedError", "ActionRuns", "Executor", "Run"]
