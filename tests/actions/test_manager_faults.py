"""The execution manager when things go wrong between it and Ocean's catalog server (a
real server on loopback, over SQLite and PostgreSQL, behind a network that fails or delays
some requests): a failed acknowledgement or claim costs a poll, not the manager; polls that
fail in a row wait longer each time, up to a cap; a claim the catalog refuses ends the
manager saying what to do, loudly, once three in a row were refused (fewer cost polls), and
so does a token request it refuses (403) or a credential revoked while it runs (401), each
saying what was refused; an integration
credential runs its own integration's runs; a renewal still in flight when a run is handed to an external run does not give it a
lease back; a failed "Started by" line does not fail the run."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from ocean.actions import Executor, Run
from ocean.actions.catalog import ActionsCatalog, CredentialRefusedError
from ocean.actions.manager import (
    REFUSALS_BEFORE_STOP,
    ExecutionManager,
    ManagerSettings,
    poll_backoff,
)
from ocean.actions.open import actions_of
from ocean.actions.service import watched
from ocean.errors import ForbiddenError
from ocean.server.app import create_app
from ocean.store.base import Owner
from ocean.store.credentials import KeepsCredentials
from ocean.store.port.store import PortAPIStore
from ocean.types import Entity
from tests import loopback
from tests.actions.helpers import INSTALLATION, Fault, Faulty, Recorder, action, wait_for
from tests.server.serving import fresh_catalog

FAST = ManagerSettings(poll_check_interval_seconds=0.05, visibility_timeout_ms=1500)
"""Claims and leases of 1.5 s, renewed every 0.5 s: a loaded machine's delays do not outlast
one (with 0.6 s, a run's lease lapsed while it ran and the next claim ended it FAILURE)."""
RUN = r"/v1/actions/runs/[^/]+"


@dataclass
class Served:
    base: str
    store: KeepsCredentials
    network: Faulty
    admin: tuple[str, str]
    clients: list[PortAPIStore] = field(default_factory=list)

    def client(self, credential: tuple[str, str] | None = None) -> ActionsCatalog:
        client_id, secret = credential or self.admin
        store = PortAPIStore.connect(self.base, client_id, secret)
        self.clients.append(store)
        return actions_of(store)


@pytest.fixture(params=["sqlite", "postgresql"])
async def served(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Served]:
    async with fresh_catalog(request.param, tmp_path) as store:
        await store.create_blueprints([{"identifier": "team", "title": "Team", "schema": {}}])
        core: Entity = {"identifier": "core", "blueprint": "team", "properties": {}}
        await store.upsert_entities([core], owner=Owner("fake", "t"), merge=False)
        network = Faulty(create_app(store))
        async with loopback.served(network) as base:
            served = Served(base, store, network, await store.create_credentials("tests"))
            users = served.client()
            await users.save_action(action(), replace=False)
            await users.save_action(action("deploy", "deploy"), replace=False)  # no executor
            yield served
            for client in served.clients:
                await client.close()


def _manager(catalog: ActionsCatalog, executor: Executor) -> ExecutionManager:
    return ExecutionManager(catalog, INSTALLATION, {executor.ACTION_NAME: executor}, FAST)


async def _status(catalog: ActionsCatalog, run_id: str, wanted: str) -> dict[str, Any]:
    async def reached() -> bool:
        found = await catalog.get_run(run_id)
        return found is not None and found["status"] == wanted

    await wait_for(reached)
    found = await catalog.get_run(run_id)
    assert found is not None
    return found


async def _stopped(stop: asyncio.Event, task: asyncio.Task[None]) -> None:
    stop.set()
    await task


async def test_a_failed_acknowledgement_costs_that_run_a_claim_not_the_manager(
    served: Served,
) -> None:
    users, recorder = served.client(), Recorder(partition=False)
    refused = await users.trigger("deploy", {}, entity="core")
    failed_ack = served.network.add(Fault("PATCH", "/v1/actions/runs/ack"))
    stop = asyncio.Event()
    task = asyncio.create_task(_manager(served.client(), recorder).run(stop))
    await failed_ack.seen.wait()
    later = await users.trigger("rename_team", {"name": "n"}, entity="core")
    await _status(users, later["id"], "SUCCESS")
    await _status(users, refused["id"], "FAILURE")  # claimed again once its claim lapsed
    await _stopped(stop, task)
    assert recorder.started == [later["id"]]
    (line,) = await users.run_logs(refused["id"])
    assert line["message"].startswith("No executor is registered for the action type 'deploy'")


async def test_failed_claims_are_retried_ever_later_up_to_a_cap(served: Served) -> None:
    users, recorder = served.client(), Recorder(partition=False)
    run = await users.trigger("rename_team", {"name": "n"}, entity="core")
    claims = served.network.add(Fault("POST", "/v1/actions/runs/claim-pending", times=4))
    stop = asyncio.Event()
    task = asyncio.create_task(_manager(served.client(), recorder).run(stop))
    await _status(users, run["id"], "SUCCESS")
    await _stopped(stop, task)
    gaps = [b - a for a, b in zip(claims.arrived, claims.arrived[1:], strict=False)]
    assert len(gaps) == 3 and gaps[0] >= 0.05 and gaps[1] >= 0.1 and gaps[2] >= 0.2
    assert [poll_backoff(10, n) for n in (1, 2, 3, 4, 5, 1000)] == [10, 20, 40, 60, 60, 60]
    assert poll_backoff(120, 3) == 120  # an interval longer than the cap is kept


async def test_an_integration_credential_runs_its_own_integration_s_runs(
    served: Served,
) -> None:
    users, recorder = served.client(), Recorder(partition=False)
    run = await users.trigger("rename_team", {"name": "n"}, entity="core")
    credential = await served.store.create_credentials(
        "sync", role="integration", integration=INSTALLATION
    )
    stop = asyncio.Event()
    task = asyncio.create_task(_manager(served.client(credential), recorder).run(stop))
    await _status(users, run["id"], "SUCCESS")
    await _stopped(stop, task)
    assert recorder.started == [run["id"]]


async def test_a_refused_claim_stops_the_manager_saying_what_to_do(
    served: Served, caplog: pytest.LogCaptureFixture
) -> None:
    credential = await served.store.create_credentials(
        "other-sync", role="integration", integration="other"
    )
    stop = asyncio.Event()
    manager = _manager(served.client(credential), Recorder())
    task = watched(asyncio.create_task(manager.run(stop)), stop)
    with caplog.at_level(logging.ERROR, logger="ocean.actions.service"):
        with pytest.raises(ForbiddenError) as refused:
            await asyncio.wait_for(task, 10)
        await asyncio.sleep(0)  # the done callbacks run
    assert f"--integration {INSTALLATION}" in str(refused.value)
    (record,) = caplog.records
    assert record.levelno == logging.ERROR and "the execution manager stopped" in record.message
    assert f"--integration {INSTALLATION}" in record.message and record.exc_info is None


@pytest.mark.parametrize(
    ("method", "path"),
    [("POST", "/v1/actions/runs/claim-pending"), ("POST", "/v1/auth/access_token")],
    ids=["claim", "token"],
)
async def test_refusals_that_pass_before_the_third_in_a_row_cost_polls_not_the_manager(
    served: Served, method: str, path: str
) -> None:
    """A proxy's hiccup, or a permission still spreading: the manager asks again, later each
    time, and takes the run once the catalog takes its credential."""
    users, recorder = served.client(), Recorder(partition=False)
    run = await users.trigger("rename_team", {"name": "n"}, entity="core")
    refusals = served.network.add(
        Fault(method, path, times=REFUSALS_BEFORE_STOP - 1, status=403, error="forbidden")
    )
    stop = asyncio.Event()
    task = asyncio.create_task(_manager(served.client(), recorder).run(stop))
    await _status(users, run["id"], "SUCCESS")
    await _stopped(stop, task)
    assert len(refusals.arrived) == REFUSALS_BEFORE_STOP - 1 and recorder.started == [run["id"]]


async def test_a_refused_token_request_stops_the_manager_naming_the_credential(
    served: Served, caplog: pytest.LogCaptureFixture
) -> None:
    """Port answering 403 to the token request: the credential is refused, not a claim (the
    manager said the claim was refused and asked for an integration credential)."""
    sign_in = served.network.add(
        Fault(
            "POST",
            "/v1/auth/access_token",
            times=100,
            status=403,
            error="forbidden",
            message="signing in is disabled for this organization",
        )
    )
    stop = asyncio.Event()
    task = watched(asyncio.create_task(_manager(served.client(), Recorder()).run(stop)), stop)
    with caplog.at_level(logging.ERROR, logger="ocean.actions.service"):
        with pytest.raises(CredentialRefusedError) as refused:
            await asyncio.wait_for(task, 10)
        await asyncio.sleep(0)  # the done callbacks run
    said = str(refused.value)
    assert refused.value.status == 403  # asked once or twice a poll (its claims), three polls
    assert REFUSALS_BEFORE_STOP <= len(sign_in.arrived) <= 2 * REFUSALS_BEFORE_STOP
    assert "POST /auth/access_token answered 403" in said
    assert f"Ocean cannot claim the action runs of {INSTALLATION!r}" in said
    assert "OCEAN__PORT__CLIENT_ID and OCEAN__PORT__CLIENT_SECRET" in said
    assert "permissions" in said and "restart Ocean" in said
    assert "signing in is disabled for this organization" in said  # the catalog's own words
    assert "refused to hand out the action runs" not in said and "--role" not in said
    (record,) = caplog.records
    assert "the execution manager stopped" in record.message and said in record.message
    assert record.exc_info is None


async def test_a_credential_revoked_while_it_runs_stops_the_manager_saying_so(
    served: Served,
) -> None:
    """Ocean's server answers 401 to the token request of a revoked credential: retrying
    cannot help (the manager polled on, warning, for good)."""
    users, recorder = served.client(), Recorder(partition=False)
    credential = await served.store.create_credentials("sync")
    stop = asyncio.Event()
    task = asyncio.create_task(_manager(served.client(credential), recorder).run(stop))
    try:
        run = await users.trigger("rename_team", {"name": "n"}, entity="core")
        await _status(users, run["id"], "SUCCESS")
        await served.store.revoke_credential(credential[0])
        with pytest.raises(CredentialRefusedError) as refused:
            await asyncio.wait_for(asyncio.shield(task), 10)
    finally:
        stop.set()
        await asyncio.gather(task, return_exceptions=True)
    said = str(refused.value)
    assert refused.value.status == 401
    assert "POST /auth/access_token answered 401" in said and "revoked" in said
    assert f"Ocean cannot claim the action runs of {INSTALLATION!r}" in said
    assert "OCEAN__PORT__CLIENT_ID and OCEAN__PORT__CLIENT_SECRET" in said


class Dispatches(Executor):
    """Hands the run to a CI pipeline, and returns while a lease renewal is in flight."""

    ACTION_NAME = "rename_team"

    def __init__(self, renewal: Fault) -> None:
        self.renewal = renewal

    async def perform(self, run: Run) -> None:
        await run.started("https://ci.example/runs/1", external_id="ci-1")
        await self.renewal.seen.wait()


async def test_a_renewal_in_flight_gives_no_lease_back_to_a_handed_off_run(
    served: Served,
) -> None:
    users = served.client()
    run = await users.trigger("rename_team", {"name": "n"}, entity="core")
    renewal = served.network.add(Fault("POST", r"/v1/ocean/actions/runs/[^/]+/lease", delay=0.3))
    stop = asyncio.Event()
    task = asyncio.create_task(_manager(served.client(), Dispatches(renewal)).run(stop))

    async def waiting() -> bool:
        logs = await users.run_logs(run["id"])
        return any(line["message"] == "Waiting for ci-1 to report its end" for line in logs)

    await wait_for(waiting)
    await asyncio.sleep(2.2)  # the renewal landed; a lease it set would have lapsed (1.5 s)
    pending = await users.get_run(run["id"])
    await _stopped(stop, task)
    assert pending is not None and pending["status"] == "IN_PROGRESS"
    assert "stopped renewing" not in str(await users.run_logs(run["id"]))


async def test_a_failed_started_line_does_not_fail_the_run(served: Served) -> None:
    users, recorder = served.client(), Recorder(partition=False)
    run = await users.trigger("rename_team", {"name": "n"}, entity="core")
    served.network.add(Fault("POST", RUN + "/logs"))
    stop = asyncio.Event()
    task = asyncio.create_task(_manager(served.client(), recorder).run(stop))
    await _status(users, run["id"], "SUCCESS")
    await _stopped(stop, task)
    assert recorder.started == [run["id"]]
    logs = [line["message"] for line in await users.run_logs(run["id"])]
    assert logs == ["renaming core to n", "Run executed successfully"]
