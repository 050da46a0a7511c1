"""An integration written for the original port-ocean: two executors that run an action
run or a workflow node run alike. ``greet`` reports its own end (its greeting in the node
run's output); ``dispatch`` hands the run to an external job, which a webhook would end;
``vet`` returns leaving the end to the execution manager, or, told to refuse, ends a node
run itself by its id (the original client's lower-level workflow calls)."""

from typing import Any

from port_ocean.context.ocean import ocean
from port_ocean.core.handlers.actions.abstract_executor import AbstractExecutor
from port_ocean.core.models import IntegrationRun, WorkflowNodeRun, WorkflowNodeRunLog


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


ocean.register_action_executor(GreetExecutor())
ocean.register_action_executor(DispatchExecutor())
ocean.register_action_executor(VetExecutor())
