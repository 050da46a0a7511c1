"""``ocean.port_client``'s run-log calls when Port refuses the line, as the originals: an
action run's line never raises (they post it with ``should_raise=False``, whatever was
asked), and a node run's label is still patched after its line failed."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest

from ocean.store.base import Owner
from port_ocean.clients.port.client import PortClient
from port_ocean.core.models import ActionRun, WorkflowNodeRun, WorkflowNodeRunLog
from tests.actions.workflow_port import WorkflowPort, action_run, node_run

LINE = WorkflowNodeRunLog(level="INFO", message="x")


@pytest.fixture
async def refused() -> AsyncIterator[tuple[WorkflowPort, PortClient]]:
    port = WorkflowPort(
        answers={"POST /actions/runs/r_1/logs": 404, "POST /workflows/nodes/runs/wfnr_1/logs": 500}
    )
    port.add(action_run("r_1", "report", {}, action="report"))
    port.add(node_run("wfnr_1", "report", {}))
    store = port.client()
    yield port, PortClient(store, Owner("wf-test", "wf-integration"), None)  # type: ignore[arg-type]
    await store.close()


@pytest.mark.parametrize(
    "call",
    [
        lambda client, run: client.post_run_log(run, "line", "INFO", True),  # 0.48's order
        lambda client, run: client.post_run_log(run, "line", should_raise=True),
        lambda client, run: client.post_run_logs(run, [LINE], True),
    ],
    ids=["positional", "keyword", "lines"],
)
async def test_an_action_run_s_refused_log_line_never_raises(
    refused: tuple[WorkflowPort, PortClient],
    call: Callable[[PortClient, Any], Awaitable[None]],
) -> None:
    port, client = refused

    await call(client, ActionRun.parse_obj(port.action_runs["r_1"]))


async def test_a_node_run_s_label_is_patched_though_its_line_failed(
    refused: tuple[WorkflowPort, PortClient],
) -> None:
    port, client = refused

    await client.post_run_log(
        WorkflowNodeRun.parse_obj(port.node_runs["wfnr_1"]), "queued", status_label="Queued"
    )

    assert port.node_patches.get("wfnr_1") == [{"statusLabel": {"text": "Queued"}}]
