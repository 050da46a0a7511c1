"""The POLLING listener resyncs at start and whenever a resync is requested."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

from click.testing import CliRunner

from ocean.cli.main import cli
from ocean.errors import CatalogUnavailableError
from ocean.job import SilentObserver
from ocean.listen.polling import poll
from ocean.monitor.report import ResyncReport
from ocean.sail import prepare
from ocean.store.base import RunRecord
from ocean.store.sqlite.store import SQLiteStore
from tests.conftest import TEAMS, Workspace, services


class Listening:
    """A polling listener running on a workspace; ``runs`` is filled when it has stopped."""

    def __init__(self, workspace: Workspace, store: SQLiteStore) -> None:
        self.prepared = prepare(workspace.folder, environ=workspace.environ, overrides={})
        self.store = store
        self.reports: list[ResyncReport] = []
        self.runs: list[RunRecord] = []

    async def wait_for(self, count: int) -> None:
        for _ in range(400):
            if len(self.reports) >= count:
                return
            await asyncio.sleep(0.01)
        raise AssertionError(f"expected {count} resyncs, saw {len(self.reports)}")

    def fail(self, method: str, error: Exception, *, times: int | None = 1) -> Failing:
        """Make the store's ``method`` raise ``error`` (:class:`Failing`)."""
        failing = Failing(getattr(self.store, method), error, times)
        setattr(self.store, method, failing)
        return failing


class Failing:
    """A store method that raises ``error`` on its first ``times`` calls (on every call
    when None), then does what ``real`` does; ``calls`` counts them."""

    def __init__(
        self, real: Callable[..., Awaitable[Any]], error: Exception, times: int | None
    ) -> None:
        self.real, self.error, self.times = real, error, times
        self.calls = 0

    async def __call__(self, *args: Any) -> Any:
        self.calls += 1
        if self.times is None or self.calls <= self.times:
            raise self.error
        return await self.real(*args)


@asynccontextmanager
async def listening(workspace: Workspace) -> AsyncIterator[Listening]:
    store = await SQLiteStore.open(workspace.catalog)
    running = Listening(workspace, store)
    stop = asyncio.Event()
    task = asyncio.create_task(
        poll(running.prepared, store, SilentObserver(), stop=stop, on_report=running.reports.append)
    )
    try:
        yield running
    finally:
        stop.set()
        await asyncio.wait_for(task, timeout=10)
        running.runs = await store.list_runs()
        await store.close()


@asynccontextmanager
async def started(workspace: Workspace, interval: str) -> AsyncIterator[Listening]:
    """A listener checking for requests every ``interval`` seconds, its start resync (of
    two services and the teams) reported."""
    workspace.set_data(services=[services(2)], teams=TEAMS)
    workspace.environ["OCEAN__EVENT_LISTENER__INTERVAL"] = interval
    async with listening(workspace) as running:
        await running.wait_for(1)
        yield running


async def test_polling_resyncs_at_start_and_on_each_new_request(workspace: Workspace) -> None:
    async with started(workspace, "0.02") as running:
        await asyncio.sleep(0.1)  # a few polls with nothing requested
        assert len(running.reports) == 1
        workspace.set_data(services=[services(3)], teams=TEAMS)
        await running.store.request_resync(running.prepared.owner.identifier)
        await running.wait_for(2)

    assert [report.trigger for report in running.reports] == ["start", "request"]
    assert running.reports[1].total("created") == 1
    assert [run.trigger for run in running.runs] == ["request", "start"]


def test_catalog_resync_command_records_a_request(workspace: Workspace) -> None:
    result = CliRunner().invoke(
        cli,
        ["catalog", "resync", "my-integration", "--force", "--catalog", str(workspace.catalog)],
    )

    assert result.exit_code == 0
    assert "resync of my-integration requested at" in result.output


async def test_stopping_mid_resync_records_it_aborted_and_deletes_nothing(
    workspace: Workspace,
) -> None:
    workspace.set_data(services=[services(3)], teams=TEAMS)
    await workspace.sail()
    workspace.set_data(services=[services(1), services(1, start=1)], teams=[], slow=0.3)

    async with listening(workspace) as running:
        await asyncio.sleep(0.2)  # inside the slow service handler

    assert running.reports == []
    assert (running.runs[0].trigger, running.runs[0].status) == ("start", "aborted")
    assert sorted(await workspace.entities("team")) == ["core", "edge"]
    assert len(await workspace.entities("service")) == 3


async def test_a_newer_request_cancels_the_running_resync_and_starts_again(
    workspace: Workspace,
) -> None:
    workspace.set_data(services=[services(1), services(1, start=1)], teams=TEAMS, slow=0.3)
    workspace.environ["OCEAN__EVENT_LISTENER__INTERVAL"] = "0.05"
    async with listening(workspace) as running:
        await asyncio.sleep(0.15)  # the start resync is inside the slow handler
        await running.store.request_resync(running.prepared.owner.identifier)
        await running.wait_for(1)
        await asyncio.sleep(0.2)

    assert [(run.trigger, run.status) for run in reversed(running.runs)] == [
        ("start", "aborted"),
        ("request", "completed"),
    ]
    assert [report.trigger for report in running.reports] == ["request"]


async def test_the_listener_frees_what_each_resync_left_in_cycles(
    workspace: Workspace, paced: list[int]
) -> None:
    workspace.set_data(services=[services(2)], teams=TEAMS)
    async with listening(workspace) as running:
        await running.wait_for(1)
        for _ in range(100):  # the report is made before the listener goes on
            if 2 in paced:
                break
            await asyncio.sleep(0.01)

    assert 2 in paced  # a small resync makes no full pass of its own


async def test_a_resync_the_catalog_fails_once_is_tried_again_and_the_listener_goes_on(
    workspace: Workspace,
) -> None:
    async with started(workspace, "0.05") as running:
        locked = CatalogUnavailableError("the catalog failed: database is locked; retry")
        now = running.fail("now", locked)
        await running.store.request_resync(running.prepared.owner.identifier)
        await running.wait_for(2)

    assert [report.status for report in running.reports] == ["completed", "completed"]
    assert now.calls >= 2  # the failed start, then its retry


async def test_a_resync_that_fails_unexpectedly_is_recorded_and_the_listener_goes_on(
    workspace: Workspace,
) -> None:
    async with started(workspace, "0.02") as running:
        # in the stale deletion, which asks first
        last_completed = running.fail("last_completed_run", RuntimeError("a bug"))
        identifier = running.prepared.owner.identifier
        await running.store.request_resync(identifier)
        for _ in range(200):  # the failed run, recorded
            if last_completed.calls:
                break
            await asyncio.sleep(0.01)
        await asyncio.sleep(0.1)
        await running.store.request_resync(identifier)
        await running.wait_for(2)

    assert [(run.trigger, run.status) for run in reversed(running.runs)] == [
        ("start", "completed"),
        ("request", "failed"),
        ("request", "completed"),
    ]


async def test_checks_of_the_requests_the_catalog_fails_slow_down_and_the_listener_goes_on(
    workspace: Workspace,
) -> None:
    async with started(workspace, "0.01") as running:
        unreachable = CatalogUnavailableError("the catalog cannot be reached; retry")
        checks = running.fail("resync_requested_at", unreachable, times=None)
        await asyncio.sleep(0.6)  # 60 intervals: 7 checks, each waiting twice the last
        failed = checks.calls
        running.store.resync_requested_at = checks.real  # type: ignore[method-assign]
        await running.store.request_resync(running.prepared.owner.identifier)
        await running.wait_for(2)

    assert 3 <= failed <= 10
    assert [report.trigger for report in running.reports] == ["start", "request"]


async def test_a_resync_ending_in_a_cancellation_of_its_own_leaves_the_listener_going(
    workspace: Workspace,
) -> None:
    """A CancelledError out of a resync that nothing stopped (a task it awaited cancelled by
    something else) is that resync's failure: the listener logs it and takes the next
    request (it ended, and no resync ran again until a restart)."""
    async with started(workspace, "0.01") as running:
        running.fail("acquire_lease", asyncio.CancelledError(), times=1)  # type: ignore[arg-type]
        identifier = running.prepared.owner.identifier
        await running.store.request_resync(identifier)  # its resync ends cancelled
        await asyncio.sleep(0.1)
        await running.store.request_resync(identifier)
        await running.wait_for(2)

    assert [report.trigger for report in running.reports] == ["start", "request"]
