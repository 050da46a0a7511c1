"""How a run is ended when Port fails calls on the way, against a fake Port, as in
``test_workflow_runs``: the last log line is only a line (one that cannot be sent is a
warning, the run is ended all the same, as the original's), the PATCH that ends the run is
sent again when it fails (a node run has no lease: Port would never end it), and a node run
its executor ended by its id (``patch_wf_node_run``) is not ended again."""

from __future__ import annotations

import logging

import pytest

import ocean.actions.run as run_module
from tests.actions.helpers import wait_for
from tests.actions.test_workflow_runs import _action_ended, _completed, sailing
from tests.actions.workflow_port import WorkflowPort, action_run, node_run


@pytest.fixture(autouse=True)
def _quick_resends(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(run_module, "ENDING_FIRST_WAIT", 0.001)


def _said(caplog: pytest.LogCaptureFixture, part: str) -> list[str]:
    return [r.getMessage() for r in caplog.records if part in r.getMessage()]


async def test_a_node_run_is_completed_though_its_log_lines_cannot_be_sent(
    caplog: pytest.LogCaptureFixture,
) -> None:
    port = WorkflowPort()
    port.add(
        node_run("wfnr_1", "greet", {}),  # its executor raises (no name)
        node_run("wfnr_2", "sing", {}),  # no executor
        node_run("wfnr_3", "vet", {}),  # its executor returns: the manager ends it
    )
    for run_id in port.node_runs:
        port.answers[f"POST /workflows/nodes/runs/{run_id}/logs"] = 502
    with caplog.at_level(logging.WARNING, logger="ocean.actions"):
        async with sailing(port):
            for run_id in ("wfnr_1", "wfnr_2", "wfnr_3"):
                await _completed(port, run_id)

    assert port.node_patches == {
        "wfnr_1": [
            {"status": "COMPLETED", "result": "FAILED", "statusLabel": {"text": "Execution failed"}}
        ],  # fmt: skip
        "wfnr_2": [{"status": "COMPLETED", "result": "FAILED"}],
        "wfnr_3": [{"status": "COMPLETED", "result": "SUCCESS"}],
    }
    assert not port.node_logs
    warned = _said(caplog, "it is ended all the same")
    assert len(warned) == 3, warned
    assert any("whom to greet? the run names nobody" in line for line in warned)
    assert not _said(caplog, "reporting run")


async def test_an_action_run_is_ended_though_its_log_lines_or_its_read_back_fail(
    caplog: pytest.LogCaptureFixture,
) -> None:
    port = WorkflowPort()
    port.add(
        action_run("r_1", "greet", {}),
        action_run("r_2", "vet", {}, action="vet"),
        action_run("r_3", "sing", {}, action="sing"),
        action_run("r_4", "greet", {}),
    )
    for run_id in ("r_1", "r_2", "r_3"):
        port.answers[f"POST /actions/runs/{run_id}/logs"] = 502
    port.answers["GET /actions/runs/r_4"] = 500  # it is ended as failed, without asking
    with caplog.at_level(logging.WARNING, logger="ocean.actions"):
        async with sailing(port):
            ended = {run_id: (await _action_ended(port, run_id))["status"]
                     for run_id in ("r_1", "r_2", "r_3", "r_4")}  # fmt: skip

    assert ended == {"r_1": "FAILURE", "r_2": "SUCCESS", "r_3": "FAILURE", "r_4": "FAILURE"}
    assert "r_1" not in port.action_logs and "r_2" not in port.action_logs
    assert "whom to greet?" in port.action_logs["r_4"][-1]
    assert len(_said(caplog, "reading run r_4 back failed")) == 1
    assert not _said(caplog, "reporting run")


async def test_the_patch_that_ends_a_run_is_sent_again_when_it_fails() -> None:
    port = WorkflowPort()
    port.add(node_run("wfnr_4", "vet", {}), action_run("r_5", "vet", {}, action="vet"))
    port.failing["PATCH /workflows/nodes/runs/wfnr_4"] = [502, 503]
    port.failing["PATCH /actions/runs/r_5"] = [502, 504]
    async with sailing(port):
        await _completed(port, "wfnr_4")
        ended = await _action_ended(port, "r_5")

    assert ended["status"] == "SUCCESS"
    assert port.node_patches["wfnr_4"] == [{"status": "COMPLETED", "result": "SUCCESS"}]
    assert len(port.on("PATCH", "/workflows/nodes/runs/wfnr_4")) == 3
    assert len(port.on("PATCH", "/actions/runs/r_5")) == 3


async def test_a_run_that_cannot_be_ended_is_given_up_after_a_few_sends(
    caplog: pytest.LogCaptureFixture,
) -> None:
    port = WorkflowPort()
    port.add(node_run("wfnr_5", "vet", {}), node_run("wfnr_6", "vet", {}))
    port.answers["PATCH /workflows/nodes/runs/wfnr_5"] = 502  # Port keeps failing it
    port.answers["PATCH /workflows/nodes/runs/wfnr_6"] = 404  # refused: not sent again
    with caplog.at_level(logging.WARNING, logger="ocean.actions"):
        async with sailing(port):

            async def given_up() -> bool:
                return len(_said(caplog, "reporting run")) == 2

            await wait_for(given_up)

    assert len(port.on("PATCH", "/workflows/nodes/runs/wfnr_5")) == run_module.ENDING_SENDS
    assert len(port.on("PATCH", "/workflows/nodes/runs/wfnr_6")) == 1
    assert len(_said(caplog, "ending run wfnr_5 failed")) == run_module.ENDING_SENDS - 1


async def test_a_node_run_its_executor_ended_by_its_id_is_not_ended_again() -> None:
    from port_ocean.context.ocean import ocean
    from port_ocean.core.models import WorkflowNodeRunLog

    port = WorkflowPort()
    port.add(node_run("wfnr_7", "vet", {"verdict": "refuse"}), node_run("wfnr_8", "dispatch",
             {"job": "8"}))  # fmt: skip
    async with sailing(port):
        await _completed(port, "wfnr_7")

        async def handed_on() -> bool:  # the manager's last word on it: it waits for job-8
            return any("job-8" in line["message"] for line in port.node_logs.get("wfnr_8", []))

        await wait_for(handed_on)
        # a run no executor is running: by its id, straight to Port
        line = WorkflowNodeRunLog(level="INFO", message="job 8 done")
        await ocean.port_client.post_wf_node_run_logs("wfnr_8", [line])
        await ocean.port_client.patch_wf_node_run("wfnr_8", {"status": "COMPLETED",
                                                             "result": "SUCCESS"})  # fmt: skip

    assert port.node_patches["wfnr_7"] == [
        {"status": "COMPLETED", "result": "FAILED", "output": {"reason": "not on the list"}}
    ]  # the executor's, not followed by the manager's COMPLETED/SUCCESS
    logs = port.node_logs["wfnr_7"]
    assert logs[0]["message"].startswith("Started by")
    assert logs[1:] == [{"level": "WARN", "message": "refused: not on the list"}]
    assert port.node_patches["wfnr_8"][-1] == {"status": "COMPLETED", "result": "SUCCESS"}
    assert port.node_logs["wfnr_8"][-1] == {"level": "INFO", "message": "job 8 done"}
