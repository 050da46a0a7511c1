"""The action-run routes of the catalog server as runners call them, over real HTTP on
loopback, on SQLite and PostgreSQL: the original's runner (no lease, never renewed) keeps
its runs until it reports them, Ocean's runner holds the lease it names, and an integration
credential works its own integration's runs only."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from ocean.store.credentials import KeepsCredentials
from tests.actions.helpers import INSTALLATION, action
from tests.server.serving import fresh_catalog, served_as_admin, sign_in

RESERVED = {"x-port-reserved-usage": "true"}
"""What the original sends on claim-pending and ack."""


@dataclass
class Served:
    base: str
    store: KeepsCredentials
    admin: httpx.AsyncClient

    async def client(self, integration: str) -> httpx.AsyncClient:
        """A client holding a token of a new credential of ``integration``."""
        client_id, secret = await self.store.create_credentials(
            f"{integration}-sync", role="integration", integration=integration
        )
        agent = f"port-ocean/fake/0.1.0/{integration}/exporter"
        client = httpx.AsyncClient(base_url=self.base, headers={"User-Agent": agent})
        await sign_in(client, client_id, secret)
        return client


def _other_action() -> dict[str, Any]:
    definition = action("deploy", "deploy")
    definition["invocationMethod"] = definition["invocationMethod"] | {"installationId": "other"}
    return definition


@pytest.fixture(params=["sqlite", "postgresql"])
async def served(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Served]:
    """The server on a loopback port; actions of ``INSTALLATION`` and of ``other``."""
    async with fresh_catalog(request.param, tmp_path) as store:
        async with served_as_admin(store) as (base, admin):
            for definition in (action(), _other_action()):
                assert (await admin.post("/v1/actions", json=definition)).status_code == 200
            yield Served(base, store, admin)


async def _triggered(client: httpx.AsyncClient, identifier: str = "rename_team") -> str:
    answer = await client.post(f"/v1/actions/{identifier}/runs", json={"properties": {}})
    assert answer.status_code == 202, answer.text
    return str(answer.json()["run"]["id"])


async def _claimed(client: httpx.AsyncClient, visibility_ms: int = 300) -> list[str]:
    body = {"installationId": INSTALLATION, "limit": 10, "visibilityTimeoutMs": visibility_ms}
    answer = await client.post("/v1/actions/runs/claim-pending", json=body, headers=RESERVED)
    assert answer.status_code == 200, answer.text
    return [run["id"] for run in answer.json()["runs"]]


@pytest.mark.parametrize(
    ("ack", "external", "status"),
    [
        pytest.param({}, False, "IN_PROGRESS", id="original-still-executing"),
        pytest.param({}, True, "IN_PROGRESS", id="original-handed-to-an-external-run"),
        pytest.param({"leaseSeconds": 0.3}, True, "IN_PROGRESS", id="ocean-handed-off"),
        pytest.param({"leaseSeconds": 0.3}, False, "FAILURE", id="ocean-runner-killed"),
    ],
)
async def test_only_a_lease_the_runner_named_lapses(
    served: Served, ack: dict[str, Any], external: bool, status: str
) -> None:
    client = served.admin
    run_id = await _triggered(client)
    assert await _claimed(client) == [run_id]
    acked = await client.patch("/v1/actions/runs/ack", json={"runId": run_id} | ack)
    assert acked.status_code == 200, acked.text
    if external:  # the original's update_run_started: a workflow carries the run on
        patch = {"link": "https://gh/run/1", "externalRunId": "gh-1"}
        assert (await client.patch(f"/v1/actions/runs/{run_id}", json=patch)).status_code == 200
    await asyncio.sleep(0.5)  # longer than the claim and any lease: nothing renews
    await _claimed(client)  # the original keeps polling; a claim ends lapsed leases
    run = (await client.get(f"/v1/actions/runs/{run_id}")).json()["run"]
    assert run["status"] == status
    if status == "FAILURE":
        return
    # the webhook arrives: report_run_completed(success=True)
    await client.post(f"/v1/actions/runs/{run_id}/logs", json={"message": "workflow succeeded"})
    done = await client.patch(f"/v1/actions/runs/{run_id}", json={"status": "SUCCESS"})
    assert done.status_code == 200 and done.json()["run"]["status"] == "SUCCESS", done.text


async def _works(client: httpx.AsyncClient, run_id: str) -> list[int]:
    """The statuses of acknowledging, leasing, logging and updating ``run_id``."""
    calls = [
        client.patch("/v1/actions/runs/ack", json={"runId": run_id, "leaseSeconds": 30}),
        client.post(f"/v1/ocean/actions/runs/{run_id}/lease", json={"seconds": 30}),
        client.post(f"/v1/actions/runs/{run_id}/logs", json={"message": "working"}),
        client.patch(f"/v1/actions/runs/{run_id}", json={"status": "SUCCESS"}),
    ]
    return [(await call).status_code for call in calls]


async def test_an_integration_credential_works_its_own_integration_s_runs_only(
    served: Served,
) -> None:
    ours, theirs = await _triggered(served.admin), await _triggered(served.admin, "deploy")
    client = await served.client(INSTALLATION)
    try:
        assert await _claimed(client) == [ours]
        other = {"installationId": "other", "limit": 10, "visibilityTimeoutMs": 1000}
        refused = await client.post("/v1/actions/runs/claim-pending", json=other)
        assert refused.status_code == 403
        assert "--integration other" in refused.json()["message"]
        assert await _works(client, theirs) == [403, 403, 403, 403]
        assert await _works(client, ours) == [200, 200, 200, 200]
        missing = await client.patch("/v1/actions/runs/ack", json={"runId": "r_nope"})
        assert missing.status_code == 404
    finally:
        await client.aclose()
    run = (await served.admin.get(f"/v1/actions/runs/{ours}")).json()["run"]
    assert run["status"] == "SUCCESS"
    pending = (await served.admin.get(f"/v1/actions/runs/{theirs}")).json()["run"]
    assert pending["status"] == "IN_PROGRESS" and "startedAt" not in pending


async def test_a_run_keeps_the_status_label_its_runner_sends(served: Served) -> None:
    """The original's 0.56 labels a run on a log line (``statusLabel`` beside ``message``)
    and on the PATCH that ends it: the server keeps the label and answers it on the run."""
    run_id = await _triggered(served.admin)
    client = await served.client(INSTALLATION)
    try:
        assert await _claimed(client) == [run_id]
        assert (
            await client.patch("/v1/actions/runs/ack", json={"runId": run_id})
        ).status_code == 200
        line = {"message": "Delayed due to low remaining rate limit", "statusLabel": "Rate limited"}
        assert (await client.post(f"/v1/actions/runs/{run_id}/logs", json=line)).status_code == 200
        waiting = (await client.get(f"/v1/actions/runs/{run_id}")).json()["run"]
        assert waiting["statusLabel"] == "Rate limited"
        end = {"status": "FAILURE", "statusLabel": "Bad input"}
        ended = await client.patch(f"/v1/actions/runs/{run_id}", json=end)
    finally:
        await client.aclose()
    assert ended.status_code == 200, ended.text
    assert ended.json()["run"]["status"] == "FAILURE"
    assert ended.json()["run"]["statusLabel"] == "Bad input"
    run = (await served.admin.get(f"/v1/actions/runs/{run_id}")).json()["run"]
    assert (run["status"], run["statusLabel"]) == ("FAILURE", "Bad input")
