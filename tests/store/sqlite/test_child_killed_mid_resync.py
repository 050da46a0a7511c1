"""The embedded catalog's process killed while a resync writes into it: the resync fails
(never hangs), and the next one ends with every entity."""

from __future__ import annotations

import asyncio

from ocean.errors import StoreError
from ocean.job import SilentObserver
from ocean.listen.once import run_once
from ocean.monitor.report import ResyncReport
from ocean.sail import prepare
from ocean.store.open import open_store
from tests.conftest import Workspace

KILLS_ITS_CATALOG = """
import os, signal, pathlib
from ocean import Integration
ocean = Integration()

def children():
    found = []
    for task in pathlib.Path(f"/proc/{os.getpid()}/task").iterdir():
        found += (task / "children").read_text().split()
    return [int(pid) for pid in found
            if b"ocean.store.sqlite.child" in pathlib.Path(f"/proc/{pid}/cmdline").read_bytes()]

def service(i):
    return {"id": f"svc-{i}", "name": f"S{i}", "url": "u", "stars": 1, "team": None}

@ocean.on_resync("service")
async def services(kind):
    kill = pathlib.Path(ocean.integration_config["data_file"]).with_name("kill")
    for page in range(8):
        if page == 4 and kill.exists():
            for pid in children():
                os.kill(pid, signal.SIGKILL)
        yield [service(page * 600 + i) for i in range(600)]

@ocean.on_resync("team")
async def teams(kind):
    return []
"""


async def _sail(workspace: Workspace) -> ResyncReport:
    """``ocean sail --once``, its catalog in a process of its own (as the CLI opens it)."""
    prepared = prepare(workspace.folder, environ=workspace.environ, overrides={})
    store = await open_store(str(workspace.catalog), own_process=True)
    try:
        async with asyncio.timeout(10):  # the child has taken over before the resync
            while not store.maps_pages():  # type: ignore[attr-defined]
                await asyncio.sleep(0.01)
                await store.count_entities()
        return await run_once(prepared, store, SilentObserver())
    finally:
        await store.close()


async def test_a_killed_catalog_process_fails_the_resync_and_the_next_one_heals(
    workspace: Workspace,
) -> None:
    (workspace.folder / "main.py").write_text(KILLS_ITS_CATALOG)
    workspace.set_data(services=[], teams=[])
    (workspace.root / "kill").write_text("")

    async with asyncio.timeout(60):
        try:
            report = await _sail(workspace)
        except StoreError as error:
            assert "exited" in str(error)
        else:
            assert report.status == "failed", report
    (workspace.root / "kill").unlink()
    async with asyncio.timeout(60):
        again = await _sail(workspace)

    assert again.status == "completed"
    assert len(await workspace.entities("service")) == 4800
