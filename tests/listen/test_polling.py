"""The POLLING listener resyncs at start and whenever a resync is requested."""

from __future__ import annotations

import asyncio

from click.testing import CliRunner

from ocean.cli.main import cli
from ocean.listen.polling import poll
from ocean.monitor.report import ResyncReport
from ocean.resync import SilentObserver
from ocean.sail import prepare
from ocean.store.sqlite import SQLiteStore
from tests.conftest import TEAMS, Workspace, services


async def _wait_for(reports: list[ResyncReport], count: int) -> None:
    for _ in range(400):
        if len(reports) >= count:
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"expected {count} resyncs, saw {len(reports)}")


async def test_polling_resyncs_at_start_and_on_each_new_request(workspace: Workspace) -> None:
    workspace.set_data(services=[services(2)], teams=TEAMS)
    workspace.environ["OCEAN__EVENT_LISTENER__INTERVAL"] = "0.02"
    prepared = prepare(workspace.folder, environ=workspace.environ, overrides={})
    store = await SQLiteStore.open(workspace.catalog)
    reports: list[ResyncReport] = []
    stop = asyncio.Event()
    listener = asyncio.create_task(
        poll(prepared, store, SilentObserver(), stop=stop, on_report=reports.append)
    )
    try:
        await _wait_for(reports, 1)
        await asyncio.sleep(0.1)  # a few polls with nothing requested
        assert len(reports) == 1
        workspace.set_data(services=[services(3)], teams=TEAMS)
        await store.request_resync(prepared.owner.identifier)
        await _wait_for(reports, 2)
    finally:
        stop.set()
        await listener
        runs = await store.list_runs()
        await store.close()

    assert [report.trigger for report in reports] == ["start", "request"]
    assert reports[1].total("created") == 1
    assert [run.trigger for run in runs] == ["request", "start"]


def test_catalog_resync_command_records_a_request(workspace: Workspace) -> None:
    result = CliRunner().invoke(
        cli, ["catalog", "resync", "my-integration", "--catalog", str(workspace.catalog)]
    )

    assert result.exit_code == 0
    assert "resync of my-integration requested at" in result.output


async def test_stopping_mid_resync_records_it_aborted_and_deletes_nothing(
    workspace: Workspace,
) -> None:
    workspace.set_data(services=[services(3)], teams=TEAMS)
    await workspace.sail()
    workspace.set_data(services=[services(1), services(1, start=1)], teams=[], slow=0.3)
    prepared = prepare(workspace.folder, environ=workspace.environ, overrides={})
    store = await SQLiteStore.open(workspace.catalog)
    stop = asyncio.Event()
    reports: list[ResyncReport] = []
    listener = asyncio.create_task(
        poll(prepared, store, SilentObserver(), stop=stop, on_report=reports.append)
    )
    await asyncio.sleep(0.2)  # inside the slow service handler

    stop.set()
    await asyncio.wait_for(listener, timeout=10)
    runs = await store.list_runs()
    await store.close()

    assert reports == []
    assert (runs[0].trigger, runs[0].status) == ("start", "aborted")
    assert sorted(await workspace.entities("team")) == ["core", "edge"]
    assert len(await workspace.entities("service")) == 3


async def test_a_newer_request_cancels_the_running_resync_and_starts_again(
    workspace: Workspace,
) -> None:
    workspace.set_data(services=[services(1), services(1, start=1)], teams=TEAMS, slow=0.3)
    workspace.environ["OCEAN__EVENT_LISTENER__INTERVAL"] = "0.05"
    prepared = prepare(workspace.folder, environ=workspace.environ, overrides={})
    store = await SQLiteStore.open(workspace.catalog)
    reports: list[ResyncReport] = []
    stop = asyncio.Event()
    listener = asyncio.create_task(
        poll(prepared, store, SilentObserver(), stop=stop, on_report=reports.append)
    )
    await asyncio.sleep(0.15)  # the start resync is inside the slow handler
    await store.request_resync(prepared.owner.identifier)
    try:
        await _wait_for(reports, 1)
        await asyncio.sleep(0.2)
    finally:
        stop.set()
        await listener
        runs = await store.list_runs()
        await store.close()

    assert [(run.trigger, run.status) for run in reversed(runs)] == [
        ("start", "aborted"),
        ("request", "completed"),
    ]
    assert [report.trigger for report in reports] == ["request"]


async def test_scheduled_resyncs_run_on_top_of_polling(workspace: Workspace) -> None:
    workspace.set_data(services=[services(1)], teams=TEAMS)
    workspace.environ |= {
        "OCEAN__EVENT_LISTENER__INTERVAL": "0.02",
        "OCEAN__SCHEDULED_RESYNC_INTERVAL": "0.002",
    }
    prepared = prepare(workspace.folder, environ=workspace.environ, overrides={})
    store = await SQLiteStore.open(workspace.catalog)
    reports: list[ResyncReport] = []
    stop = asyncio.Event()
    listener = asyncio.create_task(
        poll(prepared, store, SilentObserver(), stop=stop, on_report=reports.append)
    )
    try:
        await _wait_for(reports, 3)
    finally:
        stop.set()
        await listener
        await store.close()

    assert [report.trigger for report in reports[:3]] == ["start", "schedule", "schedule"]
