"""Who reads what of an action run on the catalog server, over real HTTP on loopback, on
SQLite and PostgreSQL: an integration credential reads its own integration's runs only; the
inputs an action declares secret (``"encryption": "aes256-gcm"``, as Port's) are read whole
by the integration that executes the run (its claims and reads) and as ``"[encrypted]"`` by
everyone else; and the execution routes refuse an oversized body (413) without holding it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from ocean.store.credentials import KeepsCredentials
from tests.server.serving import fresh_catalog, served_as_admin, sign_in

EXECUTOR = "vault-sync"
SECRET, NAME = "hunter2-SUPERSECRET", "platform"
ENCRYPTED = "[encrypted]"
CAP = 1024 * 1024
"""The body cap of the action routes (``ocean.server.bodies.SMALL_BODY``)."""


def _action() -> dict[str, Any]:
    """An action of ``EXECUTOR`` with a secret input (``token``) and a plain one (``name``)."""
    return {
        "identifier": "rotate_key",
        "title": "Rotate a key",
        "trigger": {
            "type": "self-service",
            "operation": "DAY-2",
            "userInputs": {
                "properties": {
                    "token": {"type": "string", "encryption": "aes256-gcm"},
                    "name": {"type": "string"},
                }
            },
        },
        "invocationMethod": {
            "type": "INTEGRATION_ACTION",
            "installationId": EXECUTOR,
            "integrationActionType": "rotate_key",
            "integrationActionExecutionProperties": {
                "authorization": "Bearer {{ .inputs.token }}",
                "name": "{{ .inputs.name }}",
                "kind": "rotation",
            },
        },
    }


@dataclass
class Served:
    base: str
    store: KeepsCredentials
    admin: httpx.AsyncClient
    run_id: str

    async def client(self, role: str, integration: str | None = None) -> httpx.AsyncClient:
        """A client holding a token of a new credential of ``role`` (of ``integration``)."""
        client_id, secret = await self.store.create_credentials(
            f"{role}-{integration}", role=role, integration=integration
        )
        client = httpx.AsyncClient(base_url=self.base)
        await sign_in(client, client_id, secret)
        return client


@pytest.fixture(params=["sqlite", "postgresql"])
async def served(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Served]:
    """The server on a loopback port, with a run of ``_action`` that logged its secret."""
    async with fresh_catalog(request.param, tmp_path) as store:
        async with served_as_admin(store) as (base, admin):
            assert (await admin.post("/v1/actions", json=_action())).status_code == 200
            inputs = {"properties": {"token": SECRET, "name": NAME}}
            triggered = await admin.post("/v1/actions/rotate_key/runs", json=inputs)
            assert triggered.status_code == 202, triggered.text
            run_id = triggered.json()["run"]["id"]
            line = {"message": f"rotating with {SECRET}"}  # an executor that logs it
            assert (await admin.post(f"/v1/actions/runs/{run_id}/logs", json=line)).is_success
            yield Served(base, store, admin, run_id)


async def _reads(client: httpx.AsyncClient, run_id: str) -> list[httpx.Response]:
    """The answers to listing the runs, getting the run and reading its logs."""
    return [
        await client.get("/v1/actions/runs"),
        await client.get(f"/v1/actions/runs/{run_id}"),
        await client.get(f"/v1/actions/runs/{run_id}/logs"),
    ]


async def test_another_integration_s_credential_can_neither_list_nor_get_a_run(
    served: Served,
) -> None:
    other = await served.client("integration", "someone-else")
    try:
        listed, got, logs = await _reads(other, served.run_id)
    finally:
        await other.aclose()
    assert listed.status_code == 200 and listed.json()["runs"] == []
    assert got.status_code == 403 and logs.status_code == 403
    assert "--integration vault-sync" in got.json()["message"]
    assert all(SECRET not in answer.text for answer in (listed, got, logs))


@pytest.mark.parametrize("role", ["read-only", "admin"])
async def test_other_credentials_read_runs_with_their_secret_inputs_encrypted(
    served: Served, role: str
) -> None:
    reader = served.admin if role == "admin" else await served.client(role)
    try:
        listed, got, logs = await _reads(reader, served.run_id)
    finally:
        if reader is not served.admin:
            await reader.aclose()
    assert [answer.status_code for answer in (listed, got, logs)] == [200, 200, 200]
    for run in (listed.json()["runs"][0], got.json()["run"]):
        assert run["id"] == served.run_id
        assert run["properties"] == {"token": ENCRYPTED, "name": NAME}
        executed = run["payload"]["integrationActionExecutionProperties"]
        assert executed == {"authorization": ENCRYPTED, "name": NAME, "kind": "rotation"}
    lines = [line["message"] for line in logs.json()["runLogs"]]
    assert f"rotating with {ENCRYPTED}" in lines
    assert all(SECRET not in answer.text for answer in (listed, got, logs))


async def test_the_executing_integration_receives_the_secret_inputs_when_it_claims(
    served: Served,
) -> None:
    executor = await served.client("integration", EXECUTOR)
    try:
        body = {"installationId": EXECUTOR, "limit": 10, "visibilityTimeoutMs": 60_000}
        claimed = await executor.post("/v1/actions/runs/claim-pending", json=body)
        listed, got, logs = await _reads(executor, served.run_id)
    finally:
        await executor.aclose()
    assert claimed.status_code == 200, claimed.text
    [run] = claimed.json()["runs"]
    assert run["properties"] == {"token": SECRET, "name": NAME}
    executed = run["payload"]["integrationActionExecutionProperties"]
    assert executed["authorization"] == f"Bearer {SECRET}"
    assert [r["id"] for r in listed.json()["runs"]] == [served.run_id]
    assert got.json()["run"]["properties"]["token"] == SECRET
    assert f"rotating with {SECRET}" in [line["message"] for line in logs.json()["runLogs"]]


async def test_the_executing_integration_finds_its_run_by_its_external_id(
    served: Served,
) -> None:
    """What ``ocean.action_runs.by_external_id`` asks, with the integration's credential."""
    executor = await served.client("integration", EXECUTOR)
    try:
        change = {"externalRunId": "wf-7", "link": ["https://ci/wf-7"]}
        patched = await executor.patch(f"/v1/actions/runs/{served.run_id}", json=change)
        found = await executor.get("/v1/actions/runs", params={"external_run_id": "wf-7"})
    finally:
        await executor.aclose()
    assert patched.status_code == 200 and patched.json()["run"]["properties"]["token"] == SECRET
    assert [run["id"] for run in found.json()["runs"]] == [served.run_id]


async def test_every_input_of_a_run_whose_action_was_deleted_is_encrypted_for_readers(
    served: Served,
) -> None:
    assert (await served.admin.delete("/v1/actions/rotate_key")).status_code == 200
    got = await served.admin.get(f"/v1/actions/runs/{served.run_id}")
    run = got.json()["run"]
    assert run["properties"] == {"token": ENCRYPTED, "name": ENCRYPTED}
    executed = run["payload"]["integrationActionExecutionProperties"]
    assert set(executed.values()) == {ENCRYPTED}


async def _stream(size: int) -> AsyncIterator[bytes]:
    """``size`` bytes sent chunked (no Content-Length to refuse them by)."""
    block = b" " * 65536
    for _ in range(size // len(block)):
        yield block


ROUTES = [
    ("POST", "/v1/actions/runs/claim-pending"),
    ("PATCH", "/v1/actions/runs/ack"),
    ("PATCH", "/v1/actions/runs/{run}"),
    ("POST", "/v1/actions/runs/{run}/logs"),
    ("POST", "/v1/ocean/actions/runs/{run}/lease"),
]


@pytest.mark.parametrize("streamed", [False, True], ids=["declared-length", "streamed"])
@pytest.mark.parametrize(("method", "path"), ROUTES, ids=[path for _, path in ROUTES])
async def test_an_oversized_body_is_refused_413_on_each_execution_route(
    served: Served, method: str, path: str, streamed: bool
) -> None:
    executor = await served.client("integration", EXECUTOR)
    size = 4 * CAP
    content = _stream(size) if streamed else b" " * size  # whitespace: a body JSON would read
    headers = {"content-type": "application/json"}
    try:
        answer = await executor.request(
            method, path.format(run=served.run_id), content=content, headers=headers
        )
    finally:
        await executor.aclose()
    assert answer.status_code == 413, answer.text
    assert answer.json()["error"] == "request_too_large"
