"""The executor contract: what an integration implements to run one kind of action.

An executor names the action it runs (``ACTION_NAME``, the action's
``integrationActionType``), says which runs must run one after another
(:meth:`Executor.partition_key`), how long to wait for a third party's rate limit
(:meth:`Executor.rate_limit_delay`) and runs one run (:meth:`Executor.perform`). A run whose
``perform`` returns ends ``SUCCESS`` unless it ended already or handed itself to an external
run (:meth:`~ocean.actions.run.Run.started` with an id): then the executor's
``WEBHOOK_PROCESSOR_CLASS``, served on ``WEBHOOK_PATH``, finishes it when that run reports.
An exception ends it ``FAILURE`` with the error in its log. Everything done with one run
(its rate-limit waits, acknowledgement, ``perform`` and report) happens within
:meth:`Executor.run_scope` (the compatibility layer's executors: the original's
``ACTION_RUN`` event).

From Port, an executor also runs the workflow node runs whose node's
``integrationInvocationType`` is its ``ACTION_NAME`` (``run.kind == "workflow_node"``): the
same calls report them, and returning completes one ``SUCCESS`` with its ``run.output``.
"""

from __future__ import annotations

import contextlib
from abc import ABC, abstractmethod
from contextlib import AbstractAsyncContextManager
from typing import ClassVar

from ocean.actions.run import Run
from ocean.live.processor import WebhookProcessor


class Executor(ABC):
    """Runs the runs of one action. Register with ``ocean.register_action_executor``."""

    ACTION_NAME: ClassVar[str]
    WEBHOOK_PROCESSOR_CLASS: ClassVar[type[WebhookProcessor] | None] = None
    WEBHOOK_PATH: ClassVar[str] = ""

    async def partition_key(self, run: Run) -> str | None:
        """Runs of this action with the same key run one after another, in the order they
        were triggered; None (the default): alongside any other run."""
        return None

    async def rate_limit_delay(self, run: Run) -> float:
        """Seconds to wait before starting ``run`` because a third party's rate limit is
        close (0, the default: start now). Asked again after each wait."""
        return 0.0

    def run_scope(self, run: Run) -> AbstractAsyncContextManager[object]:
        """Entered around everything done with ``run`` once the manager gives it a worker:
        waiting for the rate limit, acknowledging, :meth:`perform` and reporting how it
        ended; nothing by default."""
        return contextlib.nullcontext()

    @abstractmethod
    async def perform(self, run: Run) -> None:
        """Run the action; raise :class:`ocean.errors.ActionFailedError` for an expected
        failure (its message is the run's last log line), anything else for a bug."""
