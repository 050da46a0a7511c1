"""What an executor written for the original's 0.56 sees and sends, against a fake Port, as
in ``test_workflow_runs`` (the folder's ``report`` executor): each run executes within the
original's ``ACTION_RUN`` event, its status labels reach Port as the original sends them
(an action run's ``statusLabel`` a string on its PATCH or log line, a node run's
``{"text": ...}`` on its PATCH), a failed run is labelled ``Execution failed`` unless its
error says otherwise, and a failed run's last line is the original's: the error's message,
never its source."""

from __future__ import annotations

import json
import logging

import pytest

from tests.actions.helpers import wait_for
from tests.actions.test_workflow_runs import _action_ended, _completed, sailing
from tests.actions.workflow_port import WorkflowPort, action_run, node_run


def _report(run_id: str, do: str, **more: object) -> dict[str, object]:
    return action_run(run_id, "report", {"do": do, **more}, action="report")


def _patches(port: WorkflowPort, run_id: str) -> list[object]:
    return [call.body for call in port.on("PATCH", f"/actions/runs/{run_id}")]


async def test_an_original_executor_runs_within_an_action_run_event() -> None:
    port = WorkflowPort()
    port.add(_report("r_1", "event"), node_run("wfnr_1", "report", {"do": "event"}))
    async with sailing(port):
        await _action_ended(port, "r_1")
        await _completed(port, "wfnr_1")

    seen = json.loads(port.action_logs["r_1"][1])
    assert seen == {
        "type": "action_run",
        "attributes": {"run_id": "r_1", "action_type": "report", "run_kind": "action"},
    }
    node_seen = json.loads(port.node_logs["wfnr_1"][1]["message"])
    assert node_seen["attributes"] == {
        "run_id": "wfnr_1", "action_type": "report", "run_kind": "workflow_node"
    }  # fmt: skip
    assert port.action_runs["r_1"]["status"] == "SUCCESS"


async def test_an_original_executor_reads_the_mapping_as_event_port_app_config() -> None:
    """The original's execution manager reads the mapping into the run's event before it
    executes (``get_port_app_config``): an executor reads ``event.port_app_config``, which
    raises ``ValueError`` where none is set."""
    port = WorkflowPort()
    port.add(_report("r_1", "mapping"), node_run("wfnr_1", "report", {"do": "mapping"}))
    async with sailing(port):
        await _action_ended(port, "r_1")
        await _completed(port, "wfnr_1")

    seen = {"mapping": "PortAppConfig", "resources": 0}
    assert json.loads(port.action_logs["r_1"][1]) == seen
    assert json.loads(port.node_logs["wfnr_1"][1]["message"]) == seen
    assert port.action_runs["r_1"]["status"] == "SUCCESS"


async def test_a_failed_run_is_labelled_as_its_error_says_or_execution_failed() -> None:
    port = WorkflowPort()
    port.add(
        _report("r_1", "fail_label"),
        _report("r_2", "fail_default"),
        _report("r_3", "fail"),
        _report("r_4", "raise"),
        node_run("wfnr_1", "report", {"do": "fail_label"}),
        node_run("wfnr_2", "report", {"do": "raise"}),
    )
    async with sailing(port):
        ended = {r: await _action_ended(port, r) for r in ("r_1", "r_2", "r_3", "r_4")}
        await _completed(port, "wfnr_1")
        await _completed(port, "wfnr_2")

    labels = {r: (run["status"], run["statusLabel"]) for r, run in ended.items()}
    assert labels == {
        "r_1": ("FAILURE", "Bad input"),
        "r_2": ("FAILURE", "Not found"),  # the error class's DEFAULT_STATUS_LABEL
        "r_3": ("FAILURE", "Execution failed"),
        "r_4": ("FAILURE", "Execution failed"),
    }
    assert _patches(port, "r_1") == [{"status": "FAILURE", "statusLabel": "Bad input"}]
    assert port.action_logs["r_1"][-1] == "bad input"
    assert port.node_patches["wfnr_1"] == [
        {"status": "COMPLETED", "result": "FAILED", "statusLabel": {"text": "Bad input"}}
    ]
    assert port.node_patches["wfnr_2"] == [
        {"status": "COMPLETED", "result": "FAILED", "statusLabel": {"text": "Execution failed"}}
    ]


async def test_a_raising_executor_s_last_line_is_its_message_and_its_traceback_stays_in_ocean(
    caplog: pytest.LogCaptureFixture,
) -> None:
    port = WorkflowPort()
    port.add(_report("r_1", "raise"), node_run("wfnr_1", "report", {"do": "raise"}))
    with caplog.at_level(logging.WARNING, logger="ocean.actions"):
        async with sailing(port):
            await _action_ended(port, "r_1")
            await _completed(port, "wfnr_1")

    assert port.action_logs["r_1"][-1] == "Failed to execute run: boom"  # as the original's
    last = port.node_logs["wfnr_1"][-1]
    assert last == {"level": "ERROR", "message": "Failed to execute run: boom"}
    tracebacks = [r for r in caplog.records if r.exc_info and "r_1" in r.getMessage()]
    assert tracebacks and isinstance(tracebacks[0].exc_info[1], RuntimeError)  # type: ignore[index]
    assert "main.py" in caplog.text  # the executor's frame, in Ocean's log only


async def test_the_original_s_run_calls_send_status_labels_as_the_original_does() -> None:
    port = WorkflowPort()
    port.add(
        _report("r_1", "done"),
        _report("r_2", "started"),
        node_run("wfnr_1", "report", {"do": "done"}),
        node_run("wfnr_2", "report", {"do": "started"}),
    )
    async with sailing(port):
        ended = await _action_ended(port, "r_1")
        await _completed(port, "wfnr_1")

        async def handed_on() -> bool:
            return "job-9" in str(port.node_patches.get("wfnr_2")) and "job-9" in str(
                _patches(port, "r_2")
            )

        await wait_for(handed_on)

    assert (ended["status"], ended["statusLabel"]) == ("SUCCESS", "Deployed")
    assert _patches(port, "r_1") == [{"status": "SUCCESS", "statusLabel": "Deployed"}]
    assert port.node_patches["wfnr_1"] == [
        {"status": "COMPLETED", "result": "SUCCESS", "statusLabel": {"text": "Deployed"}}
    ]
    [queued] = [
        c.body for c in port.on("POST", "/actions/runs/r_2/logs") if "queued" in str(c.body)
    ]
    assert queued == {"message": "queued", "statusLabel": "Queued"}  # one request, as Port's
    assert _patches(port, "r_2") == [
        {"link": "https://ci.test/jobs/9", "externalRunId": "job-9", "statusLabel": "Running"}
    ]
    assert port.node_patches["wfnr_2"] == [
        {"statusLabel": {"text": "Queued"}},  # a node run's label: a PATCH after its line
        {
            "status": "IN_PROGRESS",
            "externalRunId": "job-9",
            "output": {"workflowRunUrl": "https://ci.test/jobs/9"},
            "links": ["https://ci.test/jobs/9"],
            "statusLabel": {"text": "Running"},
        },
    ]


async def test_a_run_waiting_for_the_rate_limit_is_labelled_rate_limited() -> None:
    port = WorkflowPort()
    port.add(
        _report("r_1", "return", wait=True), node_run("wfnr_1", "report", {"do": "return",
                                                                            "wait": True})
    )  # fmt: skip
    async with sailing(port):
        await _action_ended(port, "r_1")
        await _completed(port, "wfnr_1")

    [delayed] = [c.body for c in port.on("POST", "/actions/runs/r_1/logs")
                 if "Delayed" in c.body["message"]]  # fmt: skip
    assert delayed["statusLabel"] == "Rate limited"
    assert port.node_patches["wfnr_1"][0] == {"statusLabel": {"text": "Rate limited"}}
    assert port.node_patches["wfnr_1"][-1]["result"] == "SUCCESS"


async def test_should_raise_where_the_original_before_0_56_took_it_still_raises() -> None:
    from ocean.errors import ActionError
    from ocean.store.base import Owner
    from port_ocean.clients.port.client import PortClient
    from port_ocean.core.models import ActionRun

    port = WorkflowPort(answers={"PATCH /actions/runs/r_1": 404})
    port.add(_report("r_1", "done"))
    store = port.client()
    try:
        client = PortClient(store, Owner("wf-test", "wf-integration"), None)
        run = ActionRun.parse_obj(port.action_runs["r_1"])
        with pytest.raises(ActionError):  # (run, success, message, should_raise), positional
            await client.report_run_completed(run, False, "failed", True)  # type: ignore[arg-type]
        await client.report_run_completed(run, False, "failed", "Bad input")  # not raised
    finally:
        await store.close()
    assert _patches(port, "r_1") == [
        {"status": "FAILURE"},  # no label: True was should_raise
        {"status": "FAILURE", "statusLabel": "Bad input"},
    ]
