"""The execution manager against Ocean's catalog server (SQLite behind the action routes),
each replica its own Port API client: a run is claimed and executed once whichever replica
polls, same-partition runs keep their order, a rate-limited executor waits, a killed
runner's run is failed after its lease and a merely claimed one retried, an executor that
raises ends FAILURE with its error in the logs, and a run handed to an external system ends
when a webhook processor says so."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from ocean.actions import Executor, Run
from ocean.actions.catalog import ActionsCatalog
from ocean.actions.manager import ExecutionManager, ManagerSettings
from ocean.actions.open import actions_of
from ocean.actions.run import ActionRuns
from ocean.server.app import create_app
from ocean.store.base import Owner
from ocean.store.open import open_store
from ocean.store.port.store import PortAPIStore
from ocean.types import Entity
from tests.actions.helpers import INSTALLATION, Recorder, action, wait_for

FAST = ManagerSettings(poll_check_interval_seconds=0.05, visibility_timeout_ms=600)


class Server:
    """The catalog server in this process, and API clients of it (one per replica)."""

    def __init__(self, transport: httpx.ASGITransport, client_id: str, secret: str) -> None:
        self.transport, self.client_id, self.secret = transport, client_id, secret
        self.stores: list[PortAPIStore] = []

    def client(self) -> ActionsCatalog:
        store = PortAPIStore.connect(
            "http://test", self.client_id, self.secret, transport=self.transport
        )
        self.stores.append(store)
        return actions_of(store)


@pytest.fixture
async def server(tmp_path: Path) -> AsyncIterator[Server]:
    store = await open_store(str(tmp_path / "c.db"))
    await store.create_blueprints([{"identifier": "team", "title": "Team", "schema": {}}])
    teams: list[Entity] = [
        {"identifier": t, "blueprint": "team", "properties": {}} for t in ("core", "edge")
    ]
    await store.upsert_entities(teams, owner=Owner("fake", "t"), merge=False)
    client_id, secret = await store.create_credentials("tests")
    served = Server(httpx.ASGITransport(app=create_app(store)), client_id, secret)
    await served.client().save_action(action(), replace=False)
    yield served
    for client in served.stores:
        await client.close()
    await store.close()


async def _running(
    catalog: ActionsCatalog, executor: Executor, settings: ManagerSettings = FAST
) -> tuple[asyncio.Event, asyncio.Task[None]]:
    stop = asyncio.Event()
    manager = ExecutionManager(catalog, INSTALLATION, {executor.ACTION_NAME: executor}, settings)
    return stop, asyncio.create_task(manager.run(stop))


async def _ended(catalog: ActionsCatalog, run_id: str) -> dict[str, Any]:
    async def done() -> bool:
        found = await catalog.get_run(run_id)
        return found is not None and found["status"] != "IN_PROGRESS"

    await wait_for(done)
    found = await catalog.get_run(run_id)
    assert found is not None
    return found


async def _stop(*running: tuple[asyncio.Event, asyncio.Task[None]]) -> None:
    for stop, _ in running:
        stop.set()
    await asyncio.gather(*(task for _, task in running))


async def test_two_replicas_run_each_run_once(server: Server) -> None:
    users = server.client()
    first, second = Recorder(0.05, partition=False), Recorder(0.05, partition=False)
    replicas = [await _running(server.client(), first), await _running(server.client(), second)]
    runs = [
        await users.trigger("rename_team", {"name": f"n{i}", "order": i}, entity="core")
        for i in range(12)
    ]
    ended = [await _ended(users, run["id"]) for run in runs]
    await _stop(*replicas)
    assert {run["status"] for run in ended} == {"SUCCESS"}
    executed = first.started + second.started
    assert sorted(executed) == sorted(run["id"] for run in runs)  # each once, none twice
    logs = [line["message"] for line in await users.run_logs(runs[0]["id"])]
    assert logs[0].startswith(f"Started by {INSTALLATION} on ")
    assert logs[1:] == ["renaming core to n0", "Run executed successfully"]


async def test_same_partition_runs_in_order_others_alongside(server: Server) -> None:
    users, recorder = server.client(), Recorder(0.05)
    for i in range(5):
        await users.trigger("rename_team", {"name": "x", "order": i}, entity="core")
    edge = await users.trigger("rename_team", {"name": "x", "order": "edge"}, entity="edge")
    running = await _running(server.client(), recorder)
    await _ended(users, edge["id"])
    await wait_for(lambda: _all_ended(users))
    await _stop(running)
    assert [o for o in recorder.orders if o != "edge"] == [0, 1, 2, 3, 4]
    assert recorder.most == 2  # the core chain beside the edge run, never two of core


async def _all_ended(catalog: ActionsCatalog) -> bool:
    return not await catalog.list_runs(active=True)


class RateLimited(Recorder):
    def __init__(self) -> None:
        super().__init__(partition=False)
        self.asked = 0

    async def rate_limit_delay(self, run: Run) -> float:
        self.asked += 1
        return 0.3 if self.asked == 1 else 0.0


async def test_a_rate_limited_executor_waits(server: Server) -> None:
    users, executor = server.client(), RateLimited()
    run = await users.trigger("rename_team", {"name": "x"}, entity="core")
    started = asyncio.get_running_loop().time()
    running = await _running(server.client(), executor)
    ended = await _ended(users, run["id"])
    await _stop(running)
    assert ended["status"] == "SUCCESS" and executor.asked == 2
    assert asyncio.get_running_loop().time() - started >= 0.3
    (delayed,) = [x for x in await users.run_logs(run["id"]) if x["message"].startswith("Delayed")]
    assert delayed["message"] == "Delayed: the rate limit is close; trying again in 0.3 s"


async def test_a_raising_executor_ends_failure_with_its_error(
    server: Server, caplog: pytest.LogCaptureFixture
) -> None:
    users = server.client()
    boom = await users.trigger("rename_team", {"name": "boom"}, entity="core")
    invalid = await users.trigger("rename_team", {"name": "invalid"}, entity="edge")
    running = await _running(server.client(), Recorder())
    failed, refused = await _ended(users, boom["id"]), await _ended(users, invalid["id"])
    await _stop(running)
    assert failed["status"] == refused["status"] == "FAILURE"
    assert failed["statusLabel"] == refused["statusLabel"] == "Execution failed"
    last = (await users.run_logs(boom["id"]))[-1]
    assert last["level"] == "ERROR"
    assert last["message"] == "Failed to execute run: the team API refused the name"
    assert "helpers.py" in caplog.text  # the executor's frame: in Ocean's log, not the run's
    message = (await users.run_logs(invalid["id"]))[-1]["message"]
    assert message == "a team name must not be 'invalid'"


class Scoped(Recorder):
    """Opens a scope around each run it is given; ``broken``: one that fails to open."""

    def __init__(self, broken: bool = False) -> None:
        super().__init__(partition=False)
        self.broken, self.scopes, self.inside = broken, list[str](), False

    @contextlib.asynccontextmanager
    async def run_scope(self, run: Run) -> AsyncIterator[None]:
        if self.broken:
            raise RuntimeError("no scope today")
        self.scopes.append(run.id)
        self.inside = True
        try:
            yield
        finally:
            self.inside = False

    async def perform(self, run: Run) -> None:
        assert self.inside
        await super().perform(run)


async def test_an_executor_s_run_scope_surrounds_its_runs(
    server: Server, caplog: pytest.LogCaptureFixture
) -> None:
    users = server.client()
    run = await users.trigger("rename_team", {"name": "x"}, entity="core")
    scoped = Scoped()
    running = await _running(server.client(), scoped)
    ended = await _ended(users, run["id"])
    await _stop(running)
    assert ended["status"] == "SUCCESS" and scoped.scopes == [run["id"]]
    assert not scoped.inside  # left once the run was reported

    broken = await users.trigger("rename_team", {"name": "y"}, entity="core")
    running = await _running(server.client(), Scoped(broken=True))
    await wait_for(lambda: _said(caplog, f"the run scope of run {broken['id']} failed"))
    await _stop(running)  # the manager went on
    pending = await users.get_run(broken["id"])
    assert pending is not None and pending["status"] == "IN_PROGRESS"  # claimed again later


async def _said(caplog: pytest.LogCaptureFixture, part: str) -> bool:
    return any(part in record.getMessage() for record in caplog.records)


class Hangs(Recorder):
    async def perform(self, run: Run) -> None:
        self.started.append(run.id)
        await asyncio.sleep(3600)


class Killable:
    """A replica's view of the catalog that stops answering when the replica is killed
    (nothing it does afterwards reaches the catalog: no renewal, no report)."""

    def __init__(self, catalog: ActionsCatalog) -> None:
        self.catalog, self.killed = catalog, False

    def __getattr__(self, name: str) -> Any:
        method = getattr(self.catalog, name)

        async def call(*args: Any, **kwargs: Any) -> Any:
            if self.killed:
                raise ConnectionError("killed")
            return await method(*args, **kwargs)

        return call


async def test_a_killed_runners_run_fails_after_its_lease(server: Server) -> None:
    users, hangs = server.client(), Hangs()
    run = await users.trigger("rename_team", {"name": "x"}, entity="core")
    dying = Killable(server.client())
    settings = ManagerSettings(
        poll_check_interval_seconds=0.05, visibility_timeout_ms=600,
        max_wait_seconds_before_shutdown=0.1,
    )  # fmt: skip
    killed = await _running(dying, hangs, settings)  # type: ignore[arg-type]
    await wait_for(lambda: _true(bool(hangs.started)))
    dying.killed = True
    await asyncio.sleep(0.7)  # its lease (0.6 s) lapses: nothing renews it
    other = await _running(server.client(), Recorder(partition=False))
    ended = await _ended(users, run["id"])
    await _stop(other, killed)
    assert ended["status"] == "FAILURE"
    last = (await users.run_logs(run["id"]))[-1]
    assert "stopped renewing its lease (0.6 s)" in last["message"]
    assert hangs.started == [run["id"]]  # never run a second time


async def _true(value: bool) -> bool:
    return value


class Dispatches(Executor):
    """Hands each run to an external system that reports its end later, by webhook."""

    ACTION_NAME = "rename_team"

    async def perform(self, run: Run) -> None:
        await run.started("https://ci.example/runs/7", external_id=f"ext-{run.inputs['name']}")


class Finishes:
    """What a webhook processor's handle_event does with the external system's report."""

    def __init__(self, runs: ActionRuns) -> None:
        self.runs = runs

    async def handle_event(self, payload: dict[str, Any]) -> None:
        run = await self.runs.by_external_id(payload["id"])
        assert run is not None and run.in_progress
        await run.finish(payload["conclusion"] == "success", f"CI ended: {payload['conclusion']}")


async def test_an_asynchronous_run_is_finished_by_webhook(server: Server) -> None:
    users = server.client()
    run = await users.trigger("rename_team", {"name": "later"}, entity="core")
    running = await _running(server.client(), Dispatches())

    async def waiting() -> bool:
        logs = await users.run_logs(run["id"])
        return any(x["message"].startswith("Waiting for ext-later") for x in logs)

    await wait_for(waiting)
    await asyncio.sleep(0.8)  # longer than the lease: a run waiting for a webhook has none
    pending = await users.get_run(run["id"])
    assert pending is not None and pending["status"] == "IN_PROGRESS"
    assert pending["link"] == ["https://ci.example/runs/7"]
    await Finishes(ActionRuns(server.client())).handle_event(
        {"id": "ext-later", "conclusion": "success"}
    )
    ended = await _ended(users, run["id"])
    await _stop(running)
    assert ended["status"] == "SUCCESS"
    assert (await users.run_logs(run["id"]))[-1]["message"] == "CI ended: success"
