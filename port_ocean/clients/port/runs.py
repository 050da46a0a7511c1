"""The run calls of the original's ``PortClient`` that executors and their webhook
processors make (``update_run_started``, ``report_run_completed``, ``post_run_log``,
``post_run_logs``, ``patch_run``, ``find_run_by_external_id``, ...), over Ocean's actions
catalog, for either kind of run the original hands them: an ``ActionRun``, or a
``WorkflowNodeRun`` (reported on the workflow routes, with its ``output``; see
:mod:`ocean.actions.run`). As in the original's 0.56, ``update_run_started``,
``report_run_completed`` and ``post_run_log`` take a ``status_label`` (Port's
``statusLabel``: on an action run's PATCH or log line, on a node run's PATCH); passed where
the original before it took ``should_raise`` (a bool), it is taken for that.

A node run an executor's ``execute`` is running is the execution manager's own run
(:func:`executing`): what the executor reports of it through these calls is what the
manager knows of it, as a node run cannot be read back from Port."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, cast

from ocean.actions.catalog import ActionsCatalog
from ocean.actions.open import actions_of
from ocean.actions.run import Run, ending, label_field
from ocean.store.base import Store

if TYPE_CHECKING:  # pydantic is imported on use: `ocean sail` starts without it
    from port_ocean.core.models import (
        ActionRun,
        IntegrationRun,
        WorkflowNodeRun,
        WorkflowNodeRunLog,
    )

_log = logging.getLogger(__name__)
_EXECUTING: dict[str, Run] = {}
"""The workflow node runs executors are running, by id."""


@contextmanager
def executing(run: Run) -> Iterator[None]:
    """While the block runs, the client's calls on the node run ``run`` update it."""
    _EXECUTING[run.id] = run
    try:
        yield
    finally:
        if _EXECUTING.get(run.id) is run:
            del _EXECUTING[run.id]


class RunCalls:
    """Mixed into ``PortClient`` (which holds ``_store``)."""

    _store: Store
    _actions: ActionsCatalog | None = None

    def _runs(self) -> ActionsCatalog:
        if self._actions is None:
            self._actions = actions_of(self._store)
        return self._actions

    async def _guarded(self, call: Any, should_raise: bool) -> Any:
        try:
            return await call
        except Exception as error:
            if should_raise:
                raise
            _log.warning("a run update failed: %s", error)
            return None

    def _node(self, run: IntegrationRun) -> Run | None:
        """Ocean's run behind ``run`` if it is a workflow node run (None: an action run),
        its output what the integration filled in."""
        from port_ocean.core.models import WorkflowNodeRun

        if not isinstance(run, WorkflowNodeRun):
            return None
        node = _EXECUTING.get(run.id) or Run.of_node(run.dict(by_alias=True), self._runs())
        node.output = run.output
        return node

    async def patch_action_run(
        self, run_id: str, run: ActionRun | dict[str, Any], should_raise: bool = True
    ) -> None:
        body = run if isinstance(run, dict) else run.dict()
        patch = {k: v for k, v in body.items() if k in ("status", "statusLabel", "link",
                                                        "summary", "externalRunId")}  # fmt: skip
        await self._guarded(self._runs().patch_run(run_id, patch), should_raise)

    async def post_action_run_log(
        self, run_id: str, message: str, status_label: str | None = None
    ) -> None:
        runs = self._runs()
        call = (
            runs.add_labelled_log(run_id, message, "INFO", status_label)
            if status_label
            else runs.add_log(run_id, message)
        )
        await self._guarded(call, False)

    async def patch_wf_node_run(
        self, run_id: str, payload: dict[str, Any], should_raise: bool = True
    ) -> None:
        """PATCH the node run ``run_id``; one an executor is running is patched through
        the manager's own run, which then knows what it set (a run ended here is not
        reported again)."""
        patch, node = dict(payload), _EXECUTING.get(run_id)
        call = node.patch(patch) if node else self._runs().patch_node_run(run_id, patch)
        await self._guarded(call, should_raise)

    async def post_wf_node_run_logs(
        self, run_id: str, logs: list[WorkflowNodeRunLog], should_raise: bool = False
    ) -> None:
        node = _EXECUTING.get(run_id)
        if node is not None:  # through the run being executed, as patch_wf_node_run
            lines = [(str(line.level), line.message) for line in logs]
            await self._guarded(node.log_lines(lines), should_raise)
            return
        body = [line.dict() for line in logs]
        await self._guarded(self._runs().add_node_logs(run_id, body), should_raise)

    async def patch_run(
        self, run: IntegrationRun, payload: dict[str, Any], should_raise: bool = True
    ) -> None:
        node = self._node(run)
        if node is None:
            await self.patch_action_run(run.id, payload, should_raise=should_raise)
            return
        await self._guarded(node.patch(dict(payload)), should_raise)

    async def post_run_log(
        self,
        run: IntegrationRun,
        message: str,
        level: str = "INFO",
        status_label: str | None = None,
        should_raise: bool = False,
    ) -> None:
        status_label, should_raise = _label(status_label, should_raise)
        node, runs = self._node(run), self._runs()
        if node is not None:
            call = node.log(message, level, status_label=status_label)
        elif status_label:
            call = runs.add_labelled_log(run.id, message, level, status_label)
        else:
            call = runs.add_log(run.id, message, level)
        # an action run's line never raises, as the original's (post_action_run_log)
        await self._guarded(call, should_raise and node is not None)

    async def post_run_logs(
        self, run: IntegrationRun, logs: list[WorkflowNodeRunLog], should_raise: bool = False
    ) -> None:
        node = self._node(run)
        if node is not None:  # one call, as the original's
            lines = [(str(line.level), line.message) for line in logs]
            await self._guarded(node.log_lines(lines), should_raise)
            return
        for line in logs:
            level = "WARNING" if line.level == "WARN" else line.level
            await self.post_run_log(run, line.message, level, should_raise=should_raise)

    async def update_run_started(
        self,
        run: IntegrationRun,
        link: str,
        external_id: str,
        extra_output: dict[str, Any] | None = None,
        status_label: str | None = None,
    ) -> None:
        node = self._node(run)
        if node is None:
            patch = {"link": link, "externalRunId": external_id} | label_field(status_label)
            await self._runs().patch_run(run.id, patch)
            return
        await node.started(link, external_id, extra_output, status_label=status_label)
        cast("WorkflowNodeRun", run).output = node.output  # the link and extra_output

    async def report_run_completed(
        self,
        run: IntegrationRun,
        success: bool,
        message: str | None = None,
        status_label: str | None = None,
        should_raise: bool = False,
    ) -> None:
        status_label, should_raise = _label(status_label, should_raise)
        if not success:
            _log.error("run %s completed with failure", run.id)
        node = self._node(run)
        if message:
            level = "INFO" if success else "ERROR"
            raising = should_raise and node is not None
            await self.post_run_log(run, message, level, should_raise=raising)
        if node is not None:
            await self._guarded(node.finish(success, status_label=status_label), should_raise)
            return
        from port_ocean.core.models import RunStatus

        status = {"status": str(RunStatus.SUCCESS if success else RunStatus.FAILURE)}
        status |= label_field(status_label)
        # the PATCH that ends the run, sent again if it fails (as a node run's finish sends it)
        await self._guarded(ending(run.id, lambda: self._runs().patch_run(run.id, status)),
                            should_raise)  # fmt: skip

    async def get_run_by_external_id(self, external_id: str) -> ActionRun | None:
        from port_ocean.core.models import ActionRun

        found = await self._runs().list_runs(external_run_id=external_id, limit=1)
        return ActionRun.parse_obj(found[0]) if found else None

    async def get_wf_node_run_by_external_id(self, external_id: str) -> WorkflowNodeRun | None:
        from port_ocean.core.models import WorkflowNodeRun

        found = await self._runs().node_run_by_external_id(external_id)
        return None if found is None else WorkflowNodeRun.parse_obj(found)

    async def find_run_by_external_id(self, external_id: str) -> IntegrationRun | None:
        """The action run ``external_id`` names, else the workflow node run; as the
        original's, whatever the action-run lookup fails with counts as none (the
        node-run lookup's error is raised)."""
        try:
            found: IntegrationRun | None = await self.get_run_by_external_id(external_id)
        except Exception as error:
            _log.debug("no action run found for %s (%s)", external_id, error)
            found = None
        if found is not None:
            return found
        return await self.get_wf_node_run_by_external_id(external_id)

    def is_run_in_progress(self, run: IntegrationRun) -> bool:
        return run.is_in_progress


def _label(status_label: str | bool | None, should_raise: bool) -> tuple[str | None, bool]:
    """``status_label`` and ``should_raise`` as the original's 0.56 takes them; a bool in
    ``status_label``'s place is the ``should_raise`` the original before it took there."""
    if isinstance(status_label, bool):
        return None, status_label
    return status_label, should_raise
