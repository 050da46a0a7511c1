"""The action-run calls of the original's ``PortClient`` that executors and their webhook
processors make (``update_run_started``, ``report_run_completed``, ``post_run_log``,
``patch_run``, ``find_run_by_external_id``, ...), over Ocean's actions catalog."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from ocean.actions.catalog import ActionsCatalog
from ocean.actions.open import actions_of
from ocean.store.base import Store

if TYPE_CHECKING:  # pydantic is imported on use: `ocean sail` starts without it
    from port_ocean.core.models import ActionRun, IntegrationRun

_log = logging.getLogger(__name__)


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
            _log.warning("an action run update failed: %s", error)
            return None

    async def patch_action_run(
        self, run_id: str, run: ActionRun | dict[str, Any], should_raise: bool = True
    ) -> None:
        body = run if isinstance(run, dict) else run.dict()
        patch = {k: v for k, v in body.items() if k in ("status", "statusLabel", "link",
                                                        "summary", "externalRunId")}  # fmt: skip
        await self._guarded(self._runs().patch_run(run_id, patch), should_raise)

    async def post_action_run_log(self, run_id: str, message: str) -> None:
        await self._guarded(self._runs().add_log(run_id, message), False)

    async def patch_run(
        self, run: IntegrationRun, payload: dict[str, Any], should_raise: bool = True
    ) -> None:
        await self.patch_action_run(run.id, payload, should_raise=should_raise)

    async def post_run_log(
        self, run: IntegrationRun, message: str, level: str = "INFO", should_raise: bool = False
    ) -> None:
        await self._guarded(self._runs().add_log(run.id, message, level), should_raise)

    async def post_run_logs(
        self, run: IntegrationRun, logs: list[Any], should_raise: bool = False
    ) -> None:
        for line in logs:
            level = "WARNING" if line.level == "WARN" else line.level
            await self.post_run_log(run, line.message, level, should_raise)

    async def update_run_started(
        self,
        run: IntegrationRun,
        link: str,
        external_id: str,
        extra_output: dict[str, Any] | None = None,
    ) -> None:
        await self._runs().patch_run(run.id, {"link": link, "externalRunId": external_id})

    async def report_run_completed(
        self,
        run: IntegrationRun,
        success: bool,
        message: str | None = None,
        should_raise: bool = False,
    ) -> None:
        if message:
            await self.post_run_log(run, message, "INFO" if success else "ERROR")
        from port_ocean.core.models import RunStatus

        status = RunStatus.SUCCESS if success else RunStatus.FAILURE
        await self._guarded(self._runs().patch_run(run.id, {"status": str(status)}), should_raise)

    async def get_run_by_external_id(self, external_id: str) -> ActionRun | None:
        from port_ocean.core.models import ActionRun

        found = await self._runs().list_runs(external_run_id=external_id, limit=1)
        return ActionRun.parse_obj(found[0]) if found else None

    async def find_run_by_external_id(self, external_id: str) -> IntegrationRun | None:
        return await self.get_run_by_external_id(external_id)

    def is_run_in_progress(self, run: IntegrationRun) -> bool:
        return run.is_in_progress
