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


async def _two_resyncs(tmp_path: Path, main: str) -> tuple[list[ResyncReport], list[str]]:
    """A POLLING listener checking every 0.02 s, run until it reported two resyncs (at most
    30 s): its reports, and the entities left."""
    environ = {"OCEAN__EVENT_LISTENER__INTERVAL": "0.02"}
    sail = prepare(plain_folder(tmp_path, main), environ=environ, overrides={})
    store = await SQLiteStore.open(tmp_path / "c.db")
    reports: list[ResyncReport] = []
    stop = asyncio.Event()
    try:
        listening = asyncio.create_task(
            poll(sail, store, SilentObserver(), stop=stop, on_report=reports.append)
        )
        deadline = asyncio.get_running_loop().time() + 30
        while len(reports) < 2 and asyncio.get_running_loop().time() < deadline:
            await asyncio.sleep(0.01)
        stop.set()
        await asyncio.wait_for(listening, timeout=10)
        entities = [e["identifier"] async for e in store.iter_entities()]
    finally:
        await store.close()
    return reports, entities


async def test_sync_raw_all_makes_a_polling_listener_resync(tmp_path: Path) -> None:
    reports, entities = await _two_resyncs(tmp_path, MAIN)

    assert [report.trigger for report in reports] == ["start", "request"]
    assert entities == ["P2"]  # the second resync replaced the first one's entity


async def test_a_resync_finishing_when_its_hook_asks_for_another_completes_first(
    tmp_path: Path,
) -> None:
    """The hook goes on after asking, past the listener's next check: the request does not
    cancel the resync that made it (recorded ``aborted``, its report lost)."""
    hook_goes_on = "await ocean.sync_raw_all()\n        await asyncio.sleep(0.3)"
    main = "import asyncio\n" + MAIN.replace("await ocean.sync_raw_all()", hook_goes_on)
    reports, entities = await _two_resyncs(tmp_path, main)

    assert [(report.trigger, report.status) for report in reports] == [
        ("start", "completed"),
        ("request", "completed"),
    ]
    assert entities == ["P2"]


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
