"""Port workflow node runs, taken as the original takes them: claimed beside action runs
(``POST /v1/workflows/runs/claim-pending``), acknowledged, handed to the executor of their
node's ``integrationInvocationType`` and reported on their own routes (logs, status, result,
output). The executors are an integration folder's, written for the original's API
(``workflow_folder``), run by Ocean's execution manager as an ACTIONS_ONLY sail runs it,
against a fake Port that serves both kinds of run."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest

from ocean.actions.service import run_actions
from ocean.errors import ActionError
from ocean.listen.once import bind_writes
from ocean.sail import prepare
from ocean.store.port.store import PortAPIStore
from tests.actions.helpers import wait_for
from tests.actions.workflow_port import (
    INSTALLATION,
    RESERVED,
    WorkflowPort,
    action_run,
    node_run,
)

FOLDER = Path(__file__).resolve().parent / "workflow_folder"
ENVIRON = {
    "OCEAN__EVENT_LISTENER__TYPE": "ACTIONS_ONLY",
    "OCEAN__INTEGRATION__IDENTIFIER": INSTALLATION,
    "OCEAN__ACTIONS_PROCESSOR__POLL_CHECK_INTERVAL_SECONDS": "0.05",
}


@asynccontextmanager
async def sailing(port: WorkflowPort) -> AsyncIterator[PortAPIStore]:
    """The folder's executors taking runs from ``port`` (as an ACTIONS_ONLY sail), until
    the block ends."""
    sail = prepare(FOLDER, environ=ENVIRON, overrides={}, dotenv=False)
    store = port.client()
    bind_writes(sail, store)  # ocean.port_client: the same Port
    stop = asyncio.Event()
    task = asyncio.create_task(run_actions(sail, store, stop))
    try:
        yield store
    finally:
        stop.set()
        await task
        await store.close()


async def _completed(port: WorkflowPort, run_id: str) -> dict[str, Any]:
    async def done() -> bool:
        return any(p.get("status") == "COMPLETED" for p in port.node_patches.get(run_id, []))

    await wait_for(done)
    return port.node_runs[run_id]


async def _action_ended(port: WorkflowPort, run_id: str) -> dict[str, Any]:
    async def done() -> bool:
        return port.action_runs[run_id]["status"] != "IN_PROGRESS"

    await wait_for(done)
    return port.action_runs[run_id]


async def test_an_original_executor_takes_a_workflow_node_run_to_completion() -> None:
    port = WorkflowPort()
    port.add(node_run("wfnr_1", "greet", {"name": "Ada"}))
    async with sailing(port):
        await _completed(port, "wfnr_1")

    claim = port.on("POST", "/workflows/runs/claim-pending")[0]
    assert claim.headers[RESERVED] == "true"
    assert claim.body["installationId"] == INSTALLATION
    assert claim.body["visibilityTimeoutMs"] == 60_000 and claim.body["limit"] >= 1
    [ack] = port.on("PATCH", "/workflows/runs/ack")
    assert ack.body == {"nodeRunIdentifier": "wfnr_1"} and ack.headers[RESERVED] == "true"
    logs = port.node_logs["wfnr_1"]
    assert logs[0]["level"] == "INFO" and logs[0]["message"].startswith("Started by")
    assert logs[1:] == [
        {"level": "WARN", "message": "about to greet Ada"},  # the original's WARNING → WARN
        {"level": "INFO", "message": "greeted Ada"},
    ]
    assert port.node_patches["wfnr_1"] == [
        {"status": "COMPLETED", "result": "SUCCESS", "output": {"greeting": "hello Ada"}}
    ]  # reported once: by the executor, not again by the manager
    for call in port.on("POST", "/workflows/nodes/runs/") + port.on("PATCH", "/workflows/nodes"):
        assert RESERVED not in call.headers  # only claims, acks and lookups carry it
    assert not [c for c in port.calls if c.path.startswith("/actions/runs/wfnr_1")]


async def test_action_runs_still_run_beside_workflow_node_runs() -> None:
    port = WorkflowPort()
    port.add(
        action_run("r_1", "greet", {"name": "Bob"}), node_run("wfnr_2", "greet", {"name": "Cy"})
    )
    async with sailing(port):
        ended = await _action_ended(port, "r_1")
        await _completed(port, "wfnr_2")

    assert ended["status"] == "SUCCESS"
    assert port.on("PATCH", "/actions/runs/ack")[0].body == {"runId": "r_1"}
    assert port.action_logs["r_1"][1:] == ["about to greet Bob", "greeted Bob"]
    assert port.node_patches["wfnr_2"][-1]["output"] == {"greeting": "hello Cy"}
    claims = [c.path for c in port.calls if c.path.endswith("/claim-pending")]
    assert claims[:2] == ["/actions/runs/claim-pending", "/workflows/runs/claim-pending"]


async def test_a_node_run_whose_executor_raises_completes_failed_with_the_error() -> None:
    port = WorkflowPort()
    port.add(node_run("wfnr_3", "greet", {}))
    async with sailing(port):
        await _completed(port, "wfnr_3")

    [patch] = port.node_patches["wfnr_3"]
    assert patch == {
        "status": "COMPLETED", "result": "FAILED", "statusLabel": {"text": "Execution failed"}
    }  # fmt: skip
    last = port.node_logs["wfnr_3"][-1]
    assert last == {"level": "ERROR",
                    "message": "Failed to execute run: whom to greet? the run names nobody"}  # fmt: skip


async def test_a_node_run_of_no_executor_is_acknowledged_and_failed() -> None:
    port = WorkflowPort()
    port.add(node_run("wfnr_4", "sing", {}))
    async with sailing(port):
        await _completed(port, "wfnr_4")

    assert port.acked == {"wfnr_4"}
    assert port.node_patches["wfnr_4"] == [{"status": "COMPLETED", "result": "FAILED"}]
    [log] = port.node_logs["wfnr_4"]
    assert log["level"] == "ERROR" and "'sing'" in log["message"]


async def test_a_node_run_handed_to_an_external_job_is_found_by_its_id_and_completed() -> None:
    from port_ocean.context.ocean import ocean
    from port_ocean.core.models import WorkflowNodeRun

    port = WorkflowPort()
    port.add(node_run("wfnr_5", "dispatch", {"job": "7"}))
    async with sailing(port):

        async def handed_on() -> bool:
            return any("job-7" in line["message"] for line in port.node_logs.get("wfnr_5", []))

        await wait_for(handed_on)
        started = {
            "status": "IN_PROGRESS",
            "externalRunId": "job-7",
            "output": {"workflowRunUrl": "https://ci.test/jobs/7", "job": "7"},
            "links": ["https://ci.test/jobs/7"],
        }
        assert port.node_patches["wfnr_5"] == [started]  # not completed: it waits for the job

        # the job's webhook: the action-run lookup fails (swallowed), the node run is found
        port.answers["GET /actions/runs"] = 403
        found = await ocean.port_client.find_run_by_external_id("job-7")
        assert isinstance(found, WorkflowNodeRun) and found.id == "wfnr_5"
        assert ocean.port_client.is_run_in_progress(found)
        await ocean.port_client.report_run_completed(found, success=False, message="job failed")

        port.answers["GET /workflows/nodes/runs"] = 403  # the node-run lookup's error is not
        with pytest.raises(ActionError):
            await ocean.port_client.find_run_by_external_id("job-8")

    [lookup, _] = port.on("GET", "/workflows/nodes/runs")
    assert lookup.params == {"external_run_id": "job-7", "include": "nodeConfig"}
    assert lookup.headers[RESERVED] == "true"
    assert port.node_patches["wfnr_5"][-1] == {
        "status": "COMPLETED",
        "result": "FAILED",
        "output": started["output"],
    }
    assert port.node_logs["wfnr_5"][-1] == {"level": "ERROR", "message": "job failed"}


async def test_a_port_without_workflows_still_runs_action_runs_and_says_so_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    port = WorkflowPort(answers={"POST /workflows/runs/claim-pending": 404})
    port.add(action_run("r_2", "greet", {"name": "Dee"}))
    with caplog.at_level(logging.WARNING, logger="ocean.actions"):
        async with sailing(port):
            await _action_ended(port, "r_2")

            async def polled_again() -> bool:
                return len(port.on("POST", "/workflows/runs/claim-pending")) >= 3

            await wait_for(polled_again)

    assert port.action_runs["r_2"]["status"] == "SUCCESS"
    said = [r.getMessage() for r in caplog.records if "workflow node runs" in r.getMessage()]
    assert len(said) == 1, said
    assert "404" in said[0]
