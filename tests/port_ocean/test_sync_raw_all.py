"""``ocean.sync_raw_all()`` asks for a full resync: a POLLING listener starts one at its
next check; a listener that never resyncs on request says so."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from ocean.job import SilentObserver
from ocean.listen.once import run_once
from ocean.listen.polling import poll
from ocean.monitor.report import ResyncReport
from ocean.sail import prepare
from ocean.store.sqlite.store import SQLiteStore
from tests.port_ocean.folders import plain_folder

MAIN = """
from port_ocean.context.ocean import ocean

RUNS = []

@ocean.on_resync("project")
async def projects(kind):
    RUNS.append(kind)
    yield [{"key": f"P{len(RUNS)}", "name": "Project", "owner": "me"}]

@ocean.on_resync_complete()
async def resync_again_once():
    if len(RUNS) == 1:
        await ocean.sync_raw_all()
"""


async def test_sync_raw_all_makes_a_polling_listener_resync(tmp_path: Path) -> None:
    environ = {"OCEAN__EVENT_LISTENER__INTERVAL": "0.02"}
    sail = prepare(plain_folder(tmp_path, MAIN), environ=environ, overrides={})
    store = await SQLiteStore.open(tmp_path / "c.db")
    reports: list[ResyncReport] = []
    stop = asyncio.Event()
    try:
        listening = asyncio.create_task(
            poll(sail, store, SilentObserver(), stop=stop, on_report=reports.append)
        )
        for _ in range(500):
            if len(reports) == 2:
                break
            await asyncio.sleep(0.01)
        stop.set()
        await asyncio.wait_for(listening, timeout=10)
        entities = [e["identifier"] async for e in store.iter_entities()]
    finally:
        await store.close()

    assert [report.trigger for report in reports] == ["start", "request"]
    assert entities == ["P2"]  # the second resync replaced the first one's entity


async def test_sync_raw_all_under_once_says_it_does_nothing(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    environ = {"OCEAN__EVENT_LISTENER__TYPE": "ONCE"}
    sail = prepare(plain_folder(tmp_path, MAIN), environ=environ, overrides={})
    store = await SQLiteStore.open(tmp_path / "c.db")
    try:
        report = await run_once(sail, store, SilentObserver())
        requested = await store.resync_requested_at(sail.owner.identifier)
    finally:
        await store.close()

    assert report.status == "completed" and requested is None
    assert "ocean.sync_raw_all() does nothing under the ONCE listener" in caplog.text
