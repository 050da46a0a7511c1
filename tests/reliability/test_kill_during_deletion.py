"""kill -9 of ``ocean sail --once`` (and of the embedded catalog's process) between the chunks
of its stale deletion, while a kind fails: after each kill no entity that stays in the source
is missing, the failed kind's entities are all there, no relation dangles; the next normal
run equals a clean run's catalog (SQLite and PostgreSQL)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from tests.conftest import POSTGRES_URL, Workspace, resource
from tests.reliability.kill_runs import differences, snapshot

MARKED_CHUNKS = """

import asyncio as _asyncio
from ocean.load import stale_deletes as _stale_deletes

_stale_deletes.DELETE_CHUNK = 10
_delete_chunk = _stale_deletes._delete_chunk


async def _marked(*args, **kwargs):  # each chunk marked in a file, then held a moment
    with open(os.environ["CHUNKS_MARK"], "a") as out:
        out.write("chunk\\n")
    await _asyncio.sleep(0.05)
    return await _delete_chunk(*args, **kwargs)


_stale_deletes._delete_chunk = _marked
"""

WIDGET = {
    "identifier": "widget",
    "title": "Widget",
    "schema": {"properties": {"color": {"type": "string"}}},
    "relations": {"service": {"target": "service", "many": False, "required": False}},
}
TEAMS = [{"id": f"team-{i}", "name": f"Team {i}"} for i in range(10)]


def _services(count: int, *, changed: bool) -> list[list[dict[str, Any]]]:
    items = [
        {"id": f"s{i}", "name": f"S{i}", "url": f"u{i}", "stars": i + (changed and i % 7 == 0),
         "team": f"team-{i % 10}"}
        for i in range(count)
    ]  # fmt: skip
    return [items[start : start + 50] for start in range(0, count, 50)]


def _prepared(workspace: Workspace) -> tuple[Path, Path]:
    """The workspace with a widget kind (the ``broken`` handler) relating to services,
    its deletions in chunks of 10 marked in a file; the seed's and the change's data."""
    main = workspace.folder / "main.py"
    main.write_text(main.read_text() + MARKED_CHUNKS)
    blueprints = workspace.folder / ".port" / "resources" / "blueprints.json"
    blueprints.write_text(json.dumps([*json.loads(blueprints.read_text()), WIDGET]))
    widgets = resource("broken", "widget", properties={"color": ".color"},
                       relations={"service": ".service"})  # fmt: skip
    teams = resource("team", "team")
    services = resource("service", "service", properties={"url": ".url", "stars": ".stars"},
                        relations={"team": ".team"})  # fmt: skip
    workspace.set_mapping({"deleteDependentEntities": True, "entityDeletionThreshold": 1,
                           "resources": [teams, services, widgets]})  # fmt: skip
    seed, change = workspace.root / "seed.json", workspace.root / "change.json"
    broken = [
        {"id": f"w{i}", "name": f"W{i}", "color": "red", "service": f"s{i * 10}"} for i in range(30)
    ]  # fmt: skip  (w20..w29 relate to services that go)
    seed.write_text(json.dumps({"service": _services(300, changed=False), "team": TEAMS,
                                "broken": broken}))  # fmt: skip
    change.write_text(json.dumps({"service": _services(200, changed=True), "team": TEAMS}))
    return seed, change  # the change: 100 services gone, the widget kind fails (no data)


def _sail(workspace: Workspace, catalog: str, data: Path, mark: Path) -> subprocess.Popen[bytes]:
    env = (
        os.environ
        | workspace.environ
        | {
            "OCEAN__INTEGRATION__CONFIG__DATA_FILE": str(data),
            "CHUNKS_MARK": str(mark),
            "OCEAN__RESYNC_LEASE_SECONDS": "2",
            "OCEAN__RESYNC_LEASE_WAIT_SECONDS": "30",
        }
    )
    command = [sys.executable, "-m", "ocean", "sail", str(workspace.folder), "--once",
               "--quiet", "--catalog", catalog]  # fmt: skip
    return subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def _to_the_end(workspace: Workspace, catalog: str, data: Path) -> None:
    process = _sail(workspace, catalog, data, workspace.root / "ignored")
    _, errors = process.communicate(timeout=120)
    assert process.returncode in (0, 1), errors.decode()[-2000:]  # 1: the widget kind failed


def _children(pid: int) -> list[int]:
    found = subprocess.run(["ps", "--ppid", str(pid), "-o", "pid="], capture_output=True,
                           text=True, check=False)  # fmt: skip
    return [int(word) for word in found.stdout.split()]


def _kill_after_chunks(workspace: Workspace, catalog: str, data: Path, chunks: int) -> bool:
    """Start a run, kill it (and its catalog process) -9 once ``chunks`` deletion chunks
    have started; whether it was killed before it ended."""
    mark = workspace.root / "chunks"
    mark.unlink(missing_ok=True)
    process = _sail(workspace, catalog, data, mark)
    deadline = time.monotonic() + 60
    while process.poll() is None and time.monotonic() < deadline:
        if mark.exists() and mark.read_text().count("chunk") >= chunks:
            break
        time.sleep(0.005)
    children = _children(process.pid)
    killed = process.poll() is None
    for pid in [*children, process.pid]:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    process.communicate(timeout=60)
    for pid in children:  # the catalog's process gone too before the catalog is read
        while os.path.exists(f"/proc/{pid}") and "Z" not in _state(pid):
            time.sleep(0.01)
    return killed


def _state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[2]
    except (FileNotFoundError, IndexError):
        return "Z"


@pytest.fixture(params=["sqlite", "postgresql"])
def catalogs(
    request: pytest.FixtureRequest, workspace: Workspace, postgres_url: str
) -> tuple[str, str]:
    if request.param == "sqlite":
        return str(workspace.catalog), str(workspace.root / "clean.db")
    return postgres_url, postgres_url.replace("?schema=", "?schema=clean_")


async def test_kills_between_deletion_chunks_lose_nothing_and_converge(
    workspace: Workspace, catalogs: tuple[str, str]
) -> None:
    catalog, clean = catalogs
    seed, change = _prepared(workspace)
    try:
        for target in (clean, catalog):
            _to_the_end(workspace, target, seed)
        _to_the_end(workspace, clean, change)
        expected = await snapshot(clean)
        stay = {key for key in await snapshot(catalog) if key in expected}
        assert {("widget", f"w{i}") for i in range(30)} <= stay  # the failed kind's

        killed = 0
        for chunks in (1, 3):
            killed += _kill_after_chunks(workspace, catalog, change, chunks)
            got = await snapshot(catalog)
            assert stay <= got.keys(), f"wrongly deleted: {sorted(stay - got.keys())[:5]}"
        assert killed  # (a loaded machine may finish a run first: then less is checked)

        _to_the_end(workspace, catalog, change)
        assert differences(await snapshot(catalog), expected) == 0
    finally:
        if clean.startswith("postgresql"):
            connection = await asyncpg.connect(POSTGRES_URL)
            await connection.execute(f'DROP SCHEMA IF EXISTS "{clean.rsplit("=", 1)[1]}" CASCADE')
            await connection.close()
