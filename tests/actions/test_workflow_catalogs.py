"""Workflow node runs in the execution manager itself and in each catalog: claims alternate
which kind of run comes first (as the original's), a saturated node is left out of the
workflow claim, Ocean's own executors run node runs too (returning completes them; an
external run ends them through ``ocean.action_runs``), the original's client calls send
what it sends; and Ocean's own catalogs, embedded or served, have no workflows: their
claim answers none, with no error and nothing logged."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from ocean.actions import Executor, Run
from ocean.actions.manager import ExecutionManager, ManagerSettings
from ocean.actions.open import actions_of
from ocean.actions.run import ActionRuns
from ocean.errors import ActionError
from ocean.mapping import PortAppConfig
from ocean.store.base import Owner
from ocean.store.credentials import KeepsCredentials
from ocean.store.port.store import PortAPIStore
from tests.actions.helpers import INSTALLATION as SERVED_INSTALLATION
from tests.actions.helpers import action, wait_for
from tests.actions.workflow_port import INSTALLATION, WorkflowPort, action_run, node_run
from tests.server.serving import fresh_catalog, served_as_admin

FAST = ManagerSettings(poll_check_interval_seconds=0.05, runs_buffer_high_watermark=10)


class Greets(Executor):
    """Ocean's own executor: logs, fills the node run's output, returns (or hands on)."""

    ACTION_NAME = "greet"

    def __init__(self) -> None:
        self.kinds: list[str] = []

    async def perform(self, run: Run) -> None:
        self.kinds.append(run.kind)
        await run.log(f"greeting {run.properties['name']}", "WARNING")
        if run.properties.get("later"):
            await run.started("https://ci.test/1", external_id="ext-1")
            return
        run.output["greeting"] = f"hello {run.properties['name']}"


@pytest.fixture
async def port_store() -> AsyncIterator[tuple[WorkflowPort, PortAPIStore]]:
    port = WorkflowPort()
    store = port.client()
    yield port, store
    await store.close()


def _manager(store: Any, executor: Executor, settings: ManagerSettings = FAST) -> ExecutionManager:
    return ExecutionManager(actions_of(store), INSTALLATION, {"greet": executor}, settings)


async def test_claims_alternate_which_kind_of_run_comes_first(
    port_store: tuple[WorkflowPort, PortAPIStore],
) -> None:
    port, store = port_store
    port.add(action_run("r_1", "greet", {"name": "a"}), node_run("n_1", "greet", {"name": "b"}))
    manager = _manager(store, Greets())
    for _ in range(3):
        await manager.poll_once()
    await manager._drain()
    claims = [(c.path.split("/")[1], c.body["limit"]) for c in port.calls
              if c.path.endswith("/claim-pending")]  # fmt: skip
    kinds = [kind for kind, _ in claims]
    assert kinds == ["actions", "workflows", "workflows", "actions", "actions", "workflows"]
    assert claims[:2] == [("actions", 10), ("workflows", 9)]  # what is left after the first


async def test_a_saturated_node_is_left_out_of_the_workflow_claim(
    port_store: tuple[WorkflowPort, PortAPIStore],
) -> None:
    port, store = port_store
    port.add(*(node_run(f"n_{i}", "greet", {"name": "x"}, node_uid="deploy") for i in range(3)))
    settings = ManagerSettings(
        poll_check_interval_seconds=0.05, runs_buffer_high_watermark=10,
        max_runs_buffer_util_pct_per_action=20, max_wait_seconds_before_shutdown=0.05,
    )  # fmt: skip

    class Held(Greets):
        """Runs one at a time and starts none: its runs stay held."""

        async def partition_key(self, run: Run) -> str | None:
            return "one-at-a-time"

        async def rate_limit_delay(self, run: Run) -> float:
            await asyncio.Event().wait()
            return 0.0

    manager = _manager(store, Held(), settings)
    await manager.poll_once()
    await manager.poll_once()
    await manager._drain()
    workflow_claims = [c.body for c in port.on("POST", "/workflows/runs/claim-pending")]
    assert "exclude" not in workflow_claims[0]
    assert workflow_claims[1]["exclude"] == ["deploy"]  # its 3 held runs fill its cap (2)
    assert not port.acked


async def test_ocean_s_own_executor_completes_a_node_run_it_returns_from(
    port_store: tuple[WorkflowPort, PortAPIStore],
) -> None:
    port, store = port_store
    port.add(node_run("n_2", "greet", {"name": "Ada"}))
    greets = Greets()
    manager = _manager(store, greets)
    await manager.poll_once()

    async def completed() -> bool:
        return bool(port.node_patches.get("n_2"))

    await wait_for(completed)
    await manager._drain()
    assert greets.kinds == ["workflow_node"]
    assert port.node_patches["n_2"] == [
        {"status": "COMPLETED", "result": "SUCCESS", "output": {"greeting": "hello Ada"}}
    ]
    assert [line["message"] for line in port.node_logs["n_2"]][1:] == [
        "greeting Ada",
        "Run executed successfully",
    ]
    assert port.node_logs["n_2"][1]["level"] == "WARN"


async def test_a_node_run_handed_on_is_finished_through_action_runs(
    port_store: tuple[WorkflowPort, PortAPIStore],
) -> None:
    port, store = port_store
    port.add(node_run("n_3", "greet", {"name": "Bo", "later": True}))
    manager = _manager(store, Greets())
    await manager.poll_once()

    async def waiting() -> bool:
        return any("ext-1" in line["message"] for line in port.node_logs.get("n_3", []))

    await wait_for(waiting)
    assert [p["status"] for p in port.node_patches["n_3"]] == ["IN_PROGRESS"]
    port.answers["GET /actions/runs"] = 404  # the action-run lookup failing is not the end
    run = await ActionRuns(actions_of(store)).by_external_id("ext-1")
    assert run is not None and run.kind == "workflow_node" and run.in_progress
    assert run.output == {"workflowRunUrl": "https://ci.test/1"}
    await run.finish(True, "CI passed")
    assert port.node_patches["n_3"][-1] == {
        "status": "COMPLETED", "result": "SUCCESS", "output": {"workflowRunUrl": "https://ci.test/1"}
    }  # fmt: skip
    assert port.node_logs["n_3"][-1] == {"level": "INFO", "message": "CI passed"}
    assert not run.in_progress
    with pytest.raises(ActionError, match="404"):  # found nowhere: the failure is not hidden
        await ActionRuns(actions_of(store)).by_external_id("ext-unknown")
    await manager._drain()


async def test_the_original_s_client_calls_send_what_it_sends(
    port_store: tuple[WorkflowPort, PortAPIStore],
) -> None:
    from port_ocean.clients.port.client import PortClient
    from port_ocean.core.models import (
        WorkflowNodeRun,
        WorkflowNodeRunLog,
        WorkflowNodeRunResult,
        WorkflowNodeRunStatus,
    )

    port, store = port_store
    port.add(node_run("n_4", "greet", {}))
    client = PortClient(store, Owner("wf-test", INSTALLATION), PortAppConfig())
    run = WorkflowNodeRun.parse_obj(node_run("n_4", "greet", {}))
    await client.post_run_logs(
        run,
        [
            WorkflowNodeRunLog(level="INFO", message="a"),
            WorkflowNodeRunLog(level="WARN", message="b"),
        ],
    )
    cancelled = {
        "status": WorkflowNodeRunStatus.COMPLETED,
        "result": WorkflowNodeRunResult.CANCELLED,
    }
    await client.patch_run(run, cancelled)
    await client.update_run_started(run, "https://x.test/9", "x-9")
    assert run.output == {"workflowRunUrl": "https://x.test/9"}
    [logs] = [c.body for c in port.on("POST", "/workflows/nodes/runs/n_4/logs")]
    assert logs == {"logs": [{"level": "INFO", "message": "a"}, {"level": "WARN", "message": "b"}]}
    assert port.node_patches["n_4"] == [
        {"status": "COMPLETED", "result": "CANCELLED"},
        {
            "status": "IN_PROGRESS",
            "externalRunId": "x-9",
            "output": {"workflowRunUrl": "https://x.test/9"},
            "links": ["https://x.test/9"],
        },
    ]


@pytest.fixture(params=["sqlite", "postgresql"])
async def embedded(
    request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[KeepsCredentials]:
    async with fresh_catalog(request.param, tmp_path) as store:
        yield store


async def test_an_embedded_catalog_has_no_workflow_node_runs(
    embedded: KeepsCredentials, caplog: pytest.LogCaptureFixture
) -> None:
    catalog = actions_of(embedded)  # type: ignore[arg-type]
    await catalog.save_action(action(), replace=False)
    run = await catalog.trigger("rename_team", {"name": "x"})
    with caplog.at_level(logging.DEBUG, logger="ocean.actions"):
        assert await catalog.claim_node_runs(SERVED_INSTALLATION, 10, 60, []) == []
        assert await catalog.node_run_by_external_id("ext-1") is None
        manager = ExecutionManager(catalog, SERVED_INSTALLATION, {"rename_team": Executor2()}, FAST)
        assert await manager.poll_once() == 1  # its action run, as before

        async def ended() -> bool:
            found = await catalog.get_run(run["id"])
            return found is not None and found["status"] == "SUCCESS"

        await wait_for(ended)
        await manager._drain()
    assert not [r for r in caplog.records if "workflow" in r.getMessage().lower()]


class Executor2(Executor):
    ACTION_NAME = "rename_team"

    async def perform(self, run: Run) -> None:
        assert run.kind == "action"


async def test_the_catalog_server_answers_no_workflow_node_runs(tmp_path: Path) -> None:
    async with (
        fresh_catalog("sqlite", tmp_path) as store,
        served_as_admin(store) as (base, admin),
    ):
        claim = {"installationId": "any", "limit": 10, "visibilityTimeoutMs": 1000}
        headers = {"x-port-reserved-usage": "true"}
        claimed = await admin.post("/v1/workflows/runs/claim-pending", json=claim, headers=headers)
        assert claimed.status_code == 200 and claimed.json() == {"ok": True, "nodeRuns": []}
        found = await admin.get(
            "/v1/workflows/nodes/runs", params={"external_run_id": "x", "include": "nodeConfig"}
        )
        assert found.status_code == 200 and found.json()["nodeRuns"] == []
        ack = await admin.patch("/v1/workflows/runs/ack", json={"nodeRunIdentifier": "n_1"})
        assert ack.status_code == 404 and "no workflows" in ack.json()["message"]
        patched = await admin.patch("/v1/workflows/nodes/runs/n_1", json={"status": "COMPLETED"})
        assert patched.status_code == 404
        logged = await admin.post("/v1/workflows/nodes/runs/n_1/logs", json={"logs": []})
        assert logged.status_code == 404
        async with httpx.AsyncClient(base_url=base) as anonymous:
            refused = await anonymous.post("/v1/workflows/runs/claim-pending", json=claim)
        assert refused.status_code == 401
        ocean_client = PortAPIStore.connect(base, *await store.create_credentials("runner"))
        try:  # Ocean's own runner does not even ask an Ocean server
            assert await actions_of(ocean_client).claim_node_runs("any", 10, 1.0, []) == []
        finally:
            await ocean_client.close()
