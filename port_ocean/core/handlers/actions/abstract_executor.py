"""``AbstractExecutor``: executes one kind of Port action run (``ACTION_NAME``, as in the
integration's spec) or workflow node run (its node's ``integrationInvocationType``), with
the original's rate-limit and partition hooks, run by Ocean's execution manager
(:mod:`ocean.actions.manager`) through Ocean's executor contract. ``execute`` is handed an
``ActionRun`` or a ``WorkflowNodeRun``, as the original's is, and runs (with the rate-limit
checks, the acknowledgement and the report) within the original's ``ACTION_RUN`` event:
``event.event_type`` is ``action_run``, ``event.attributes`` hold ``run_id``,
``action_type`` and ``run_kind``."""

from __future__ import annotations

import contextlib
from abc import abstractmethod
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager
from typing import Any

from ocean.actions.executor import Executor
from ocean.actions.run import Run
from ocean.errors import ConfigError
from port_ocean._unsupported import missing
from port_ocean.clients.port.runs import executing
from port_ocean.context.event import EventContext, EventType, event_context
from port_ocean.core.models import ActionRun, IntegrationRun, WorkflowNodeRun

MIN_RATE_LIMIT_WAIT_SECONDS = 1.0
"""What a wait lasts when an executor says it is close to its limit but that it resets now
(the original would ask again at once)."""


@contextlib.asynccontextmanager
async def _action_run_event(run: Run) -> AsyncIterator[EventContext]:
    from port_ocean.context.ocean import ocean

    attributes = {"run_id": run.id, "action_type": run.action_type, "run_kind": run.kind}
    async with event_context(
        EventType.ACTION_RUN, trigger_type="machine", attributes=attributes
    ) as context:
        with contextlib.suppress(ConfigError):  # (no run started: an executor alone)
            await ocean.integration.port_app_config_handler.get_port_app_config()
        yield context


def original_run(run: Run) -> IntegrationRun:
    """Ocean's run as the original's ``ActionRun`` or ``WorkflowNodeRun`` (Port's shape);
    a node run's ``output`` is Ocean's run's (what the executor fills in is reported)."""
    body: dict[str, Any] = dict(run.body)
    if run.is_node:
        body.setdefault("identifier", run.id)
        body.setdefault("status", run.status)
        node = WorkflowNodeRun.parse_obj(body)
        node.output = run.output
        return node
    body.setdefault("id", run.id)
    body.setdefault("status", run.status)
    body.setdefault("action", {"identifier": run.action})
    return ActionRun.parse_obj(body)


class AbstractExecutor(Executor):
    """The original's executor base: implement ``is_close_to_rate_limit``,
    ``get_remaining_seconds_until_rate_limit`` and ``execute``; ``_get_partition_key``
    runs runs of one key one after another."""

    async def _get_partition_key(self, run: IntegrationRun) -> str | None:
        """Runs with the same key run one after another; None: in parallel."""
        return None

    @abstractmethod
    async def is_close_to_rate_limit(self, run: IntegrationRun) -> bool:
        """Whether running now would come close to the third party's rate limit."""

    @abstractmethod
    async def get_remaining_seconds_until_rate_limit(self, run: IntegrationRun) -> float:
        """Seconds to wait before running (0: none)."""

    @abstractmethod
    async def execute(self, run: IntegrationRun) -> None:
        """Run the action (an exception reports the run as failed)."""

    # Ocean's contract, over the original's methods.

    def run_scope(self, run: Run) -> AbstractAsyncContextManager[object]:
        """The original's event around a run's execution (its ``_execute_run``), with the
        mapping as its ``port_app_config``, as the original reads it first."""
        return _action_run_event(run)

    async def partition_key(self, run: Run) -> str | None:
        return await self._get_partition_key(original_run(run))

    async def rate_limit_delay(self, run: Run) -> float:
        original = original_run(run)
        if not await self.is_close_to_rate_limit(original):
            return 0.0
        seconds = float(await self.get_remaining_seconds_until_rate_limit(original))
        return max(seconds, MIN_RATE_LIMIT_WAIT_SECONDS)

    async def perform(self, run: Run) -> None:
        original = original_run(run)
        if not isinstance(original, WorkflowNodeRun):
            await self.execute(original)
            return
        with executing(run):  # what it reports through ocean.port_client is the run's
            try:
                await self.execute(original)
            finally:
                run.output = original.output


__all__ = ["AbstractExecutor"]
__getattr__ = missing(__name__)
