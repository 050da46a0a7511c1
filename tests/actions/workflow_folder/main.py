"""An integration written for the original port-ocean: two executors that run an action
run or a workflow node run alike. ``greet`` reports its own end (its greeting in the node
run's output); ``dispatch`` hands the run to an external job, which a webhook would end;
``vet`` returns leaving the end to the execution manager, or, told to refuse, ends a node
run itself by its id (the original client's lower-level workflow calls); ``report`` does
what its run's ``do`` says with the original's 0.56 calls (status labels, its event)."""

import json
from typing import Any

from port_ocean.context.event import event
from port_ocean.context.ocean import ocean
from port_ocean.core.handlers.actions.abstract_executor import AbstractExecutor
from port_ocean.core.models import IntegrationRun, WorkflowNodeRun, WorkflowNodeRunLog
from port_ocean.exceptions.execution_manager import ActionExecutionError


class _NoRateLimit(AbstractExecutor):
    async def is_close_to_rate_limit(self, run: IntegrationRun) -> bool:
        return False

    async def get_remaining_seconds_until_rate_limit(self, run: IntegrationRun) -> float:
        return 0.0


class GreetExecutor(_NoRateLimit):
    ACTION_NAME = "greet"
    WEBHOOK_PROCESSOR_CLASS = None
    WEBHOOK_PATH = ""

    async def execute(self, run: IntegrationRun) -> None:
        name: Any = run.execution_properties.get("name")
        if not name:
            raise ValueError("whom to greet? the run names nobody")
        await ocean.port_client.post_run_log(run, f"about to greet {name}", level="WARNING")
        if isinstance(run, WorkflowNodeRun):
            run.output["greeting"] = f"hello {name}"
        await ocean.port_client.report_run_completed(run, success=True, message=f"greeted {name}")


class DispatchExecutor(_NoRateLimit):
    ACTION_NAME = "dispatch"
    WEBHOOK_PROCESSOR_CLASS = None
    WEBHOOK_PATH = ""

    async def execute(self, run: IntegrationRun) -> None:
        job = run.execution_properties["job"]
        await ocean.port_client.update_run_started(
            run, f"https://ci.test/jobs/{job}", f"job-{job}", extra_output={"job": job}
        )


class VetExecutor(_NoRateLimit):
    ACTION_NAME = "vet"
    WEBHOOK_PROCESSOR_CLASS = None
    WEBHOOK_PATH = ""

    async def execute(self, run: IntegrationRun) -> None:
        if run.execution_properties.get("verdict") != "refuse":
            return
        reason = "not on the list"
        if isinstance(run, WorkflowNodeRun):
            line = WorkflowNodeRunLog(level="WARN", message=f"refused: {reason}")
            await ocean.port_client.post_wf_node_run_logs(run.id, [line])
            patch = {"status": "COMPLETED", "result": "FAILED", "output": {"reason": reason}}
            await ocean.port_client.patch_wf_node_run(run.id, patch)
        else:
            await ocean.port_client.report_run_completed(run, False, f"refused: {reason}")


class TeamNotFoundError(ActionExecutionError):
    DEFAULT_STATUS_LABEL = "Not found"


class ReportExecutor(AbstractExecutor):
    ACTION_NAME = "report"
    WEBHOOK_PROCESSOR_CLASS = None
    WEBHOOK_PATH = ""

    def __init__(self) -> None:
        self.waited: set[str] = set()

    async def is_close_to_rate_limit(self, run: IntegrationRun) -> bool:
        wait = run.execution_properties.get("wait") and run.id not in self.waited
        self.waited.add(run.id)
        return bool(wait)

    async def get_remaining_seconds_until_rate_limit(self, run: IntegrationRun) -> float:
        return 0.0

    async def execute(self, run: IntegrationRun) -> None:
        do = run.execution_properties.get("do")
        if do == "event":
            seen = {"type": event.event_type, "attributes": event.attributes}
            await ocean.port_client.post_run_log(run, json.dumps(seen, sort_keys=True))
        elif do == "mapping":  # as the original's executors read it
            mapping = event.port_app_config
            seen = {"mapping": type(mapping).__name__, "resources": len(mapping.resources)}
            await ocean.port_client.post_run_log(run, json.dumps(seen, sort_keys=True))
        elif do == "fail_label":
            raise ActionExecutionError("bad input", status_label="Bad input")
        elif do == "fail_default":
            raise TeamNotFoundError("no team core")
        elif do == "fail":
            raise ActionExecutionError("bad input")
        elif do == "raise":
            raise RuntimeError("boom")
        elif do == "done":
            await ocean.port_client.report_run_completed(run, True, "ok", status_label="Deployed")
        elif do == "started":
            await ocean.port_client.post_run_log(run, "queued", status_label="Queued")
            await ocean.port_client.update_run_started(
                run, "https://ci.test/jobs/9", "job-9", status_label="Running"
            )


ocean.register_action_executor(GreetExecutor())
ocean.register_action_executor(DispatchExecutor())
ocean.register_action_executor(VetExecutor())
ocean.register_action_executor(ReportExecutor())
