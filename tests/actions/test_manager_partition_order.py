"""Runs of one partition key keep the order they were triggered in, when one of them is
not taken at its turn (its acknowledgement failed: it is claimed again later) and when a
run waits in one replica's partition queue for longer than its claim (another replica
polls meanwhile); and a run whose executor returned ends SUCCESS though its read-back
failed once (not FAILURE, by its lease lapsing as if its runner had died). Against Ocean's
catalog server (SQLite and PostgreSQL) behind a network
that fails some requests, as tests/actions/test_manager_faults.py."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from ocean.actions import Run
from ocean.actions.manager import ExecutionManager, ManagerSettings
from tests.actions import test_manager_faults as faults
from tests.actions.helpers import INSTALLATION, Fault, Faulty, Recorder, wait_for
from tests.actions.test_manager_faults import FAST, Served

CLAIM = "/v1/actions/runs/claim-pending"
ORDERED = ManagerSettings(poll_check_interval_seconds=0.05, visibility_timeout_ms=1500)
"""Claims and leases of 1.5 s, kept every 0.5 s: a loaded machine's delays (renewals one
after another, each answered 0.3 s late, say) do not outlast one, where 0.6 s did
(a run let go lapsed before the one ahead of it was kept: [0, 2, 1])."""
served = pytest.fixture(params=["sqlite", "postgresql"], name="served")(faults.served.__wrapped__)


async def _all_ended(served: Served, runs: list[dict[str, Any]]) -> None:
    users = served.client()

    async def ended() -> bool:
        found = [await users.get_run(run["id"]) for run in runs]
        return all(f is not None and f["status"] != "IN_PROGRESS" for f in found)

    await wait_for(ended, 20)


async def _run_until_ended(served: Served, recorder: Recorder, runs: list[dict[str, Any]]) -> None:
    """One manager runs until every one of ``runs`` has ended."""
    stop = asyncio.Event()
    manager = ExecutionManager(served.client(), INSTALLATION, {"rename_team": recorder}, ORDERED)
    task = asyncio.create_task(manager.run(stop))
    await _all_ended(served, runs)
    stop.set()
    await task


async def test_a_run_not_taken_at_its_turn_holds_back_the_later_runs_of_its_partition(
    served: Served,
) -> None:
    users, recorder = served.client(), Recorder(0.05)
    runs = [
        await users.trigger("rename_team", {"name": "x", "order": i}, entity="core")
        for i in range(3)
    ]
    served.network.add(Fault("PATCH", "/v1/actions/runs/ack"))  # the first run's, once
    await _run_until_ended(served, recorder, runs)
    assert recorder.orders == [0, 1, 2]  # not [1, 2, 0]: the first was claimed again later


async def test_runs_let_go_behind_a_failed_run_keep_their_order_when_a_claim_renewal_lands_late(
    served: Served,
) -> None:
    """The first run's acknowledgement fails late (0.6 s), while the second's claim is being
    kept (its renewal, sent at 0.5 s, answered at 1 s): the third, let go meanwhile, must not
    lapse first."""
    users, recorder = served.client(), Recorder(0.05)
    runs = [
        await users.trigger("rename_team", {"name": "x", "order": i}, entity="core")
        for i in range(3)
    ]
    served.network.add(Fault("PATCH", "/v1/actions/runs/ack", delay=0.6, late=True))
    served.network.add(Fault("POST", r"/v1/ocean/actions/runs/[^/]+/lease", delay=0.5))
    await _run_until_ended(served, recorder, runs)
    assert recorder.orders == [0, 1, 2]


class OutlastsTheClaim(Recorder):
    """Runs the first run (order 0) until the catalog answered two polls that arrived after
    the second run's claim (taken before the first run started) would have lapsed had it
    not been kept; the others at once."""

    def __init__(self, network: Faulty, visibility: float) -> None:
        super().__init__()
        self.network, self.visibility = network, visibility

    async def hold(self, run: Run) -> None:
        if run.properties.get("order") != 0:
            return
        lapsed = asyncio.get_running_loop().time() + self.visibility

        async def polled_since() -> bool:
            polls = [
                arrived
                for method, path, arrived in self.network.answered
                if (method, path) == ("POST", CLAIM) and arrived > lapsed
            ]
            return len(polls) >= 2

        await wait_for(polled_since, self.visibility + 20)


async def test_a_run_waiting_in_its_partition_past_its_claim_is_not_run_beside_it_elsewhere(
    served: Served,
) -> None:
    """The first replica claims both runs and polls no more (for a minute); the second
    replica polls meanwhile, past the time the second run's claim would have lapsed. The
    claim, kept every third of its 3 s (room for a loaded machine's delays: 0.6 s was not),
    must hold it."""
    visibility = 3.0
    users, recorder = served.client(), OutlastsTheClaim(served.network, visibility)
    runs = [
        await users.trigger("rename_team", {"name": "x", "order": i}, entity="core")
        for i in range(2)
    ]
    first_stop, second_stop = asyncio.Event(), asyncio.Event()
    slow = ManagerSettings(poll_check_interval_seconds=60, visibility_timeout_ms=3000)
    first = ExecutionManager(served.client(), INSTALLATION, {"rename_team": recorder}, slow)
    first_task = asyncio.create_task(first.run(first_stop))

    async def started() -> bool:
        return bool(recorder.started)

    await wait_for(started)  # the first replica claimed both, and runs the first
    second = ExecutionManager(served.client(), INSTALLATION, {"rename_team": recorder}, FAST)
    second_task = asyncio.create_task(second.run(second_stop))
    await _all_ended(served, runs)
    first_stop.set()
    second_stop.set()
    await asyncio.gather(first_task, second_task)
    assert recorder.most == 1, "two runs of team core ran at once, on two replicas"
    assert recorder.orders == [0, 1]


class FailsItsReadBack(Recorder):
    """Returns having had the network fail the next read of a run (the runner's read-back)."""

    def __init__(self, served: Served) -> None:
        super().__init__(partition=False)
        self.served = served
        self.fault: Fault | None = None

    async def perform(self, run: Run) -> None:
        await super().perform(run)
        self.fault = self.served.network.add(
            Fault("GET", r"/v1/actions/runs/[^/]+", status=500, error="internal", message="boom")
        )


async def test_a_run_whose_read_back_fails_once_after_it_succeeded_still_ends_success(
    served: Served,
) -> None:
    users, executor = served.client(), FailsItsReadBack(served)
    run = await users.trigger("rename_team", {"name": "n"}, entity="core")
    stop = asyncio.Event()
    manager = ExecutionManager(served.client(), INSTALLATION, {"rename_team": executor}, ORDERED)
    task = asyncio.create_task(manager.run(stop))

    async def failed_once() -> bool:
        return executor.fault is not None and executor.fault.times == 0

    await wait_for(failed_once)  # (no read of ours meanwhile: the runner's got the 500)
    await _all_ended(served, [run])
    await asyncio.sleep(2)  # a lease left behind would have lapsed (1.5 s) and ended it
    stop.set()
    await task
    found = await users.get_run(run["id"])
    assert found is not None and found["status"] == "SUCCESS", await users.run_logs(run["id"])
    logs = [line["message"] for line in await users.run_logs(run["id"])]
    assert logs[-1] == "Run executed successfully"
