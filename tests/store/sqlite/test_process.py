"""The embedded catalog in a child process: errors, cancellation, a crash, concurrent calls."""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

import ocean
from ocean.errors import StoreError
from ocean.store.base import Owner
from ocean.store.search import SearchError
from ocean.store.sqlite.catalog import SQLiteCatalog
from ocean.store.sqlite.handover import CatalogHandover
from ocean.store.sqlite.process import CatalogProcess
from ocean.store.sqlite.spawn import SpareCatalog, child_environment
from ocean.store.sqlite.store import SQLiteStore

OWNER = Owner("github", "gh-1", "1.0.0")
TEAM = {"identifier": "team", "title": "Team", "schema": {"properties": {}}}


HOSTS = ["thread", "process", "handover"]


async def _open(path: Path, host: str) -> SQLiteStore:
    """The catalog at ``path`` on a thread, in a process (from the first call), or handed
    over from one to the other as ``ocean sail`` opens it."""
    if host == "process":
        return SQLiteStore(await CatalogProcess.start(path), path)
    return await SQLiteStore.open(path, own_process=host == "handover")


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[SQLiteStore]:
    opened = await _open(tmp_path / "c.db", "process")
    yield opened
    await opened.close()


@pytest.mark.parametrize("host", HOSTS)
async def test_a_file_that_is_not_a_catalog_is_named_in_the_error(
    tmp_path: Path, host: str
) -> None:
    path = tmp_path / "notes.db"
    path.write_text("these are notes, not a database " * 100)

    with pytest.raises(StoreError, match=f"cannot open the catalog {path}: file is not a database"):
        store = await _open(path, host)
        try:
            await store.count_entities()
        finally:
            await store.close()


@pytest.mark.parametrize("host", HOSTS)
async def test_an_error_raised_in_the_catalog_reaches_the_caller_as_itself(
    tmp_path: Path, host: str
) -> None:
    store = await _open(tmp_path / "c.db", host)
    try:
        with pytest.raises(SearchError, match="operator"):
            await store.search({"combinator": "and", "rules": [{"property": "x"}]})
        assert await store.count_entities() == {}  # and the catalog goes on answering
    finally:
        await store.close()


async def test_a_cancelled_call_does_not_hand_its_answer_to_the_next(store: SQLiteStore) -> None:
    await store.create_blueprints([TEAM])
    counting = asyncio.ensure_future(store.count_entities())
    await asyncio.sleep(0)  # the request is on its way
    counting.cancel()

    blueprints = await store.list_blueprints()

    assert [bp["identifier"] for bp in blueprints] == ["team"]


@pytest.mark.parametrize("host", HOSTS)
async def test_concurrent_calls_each_get_their_own_answer(tmp_path: Path, host: str) -> None:
    store = await _open(tmp_path / "c.db", host)
    try:
        await store.create_blueprints([TEAM])
        teams = [[{"identifier": f"t{i}", "blueprint": "team"}] for i in range(10)]

        outcomes = await asyncio.gather(
            *(store.upsert_entities(team, owner=OWNER, merge=True) for team in teams)
        )

        assert [outcome.identifier for (outcome,) in outcomes] == [f"t{i}" for i in range(10)]
        assert await store.count_entities() == {"team": 10}
    finally:
        await store.close()


async def test_writes_larger_than_the_pipe_go_out_before_the_answers_come_back(
    store: SQLiteStore,
) -> None:
    await store.create_blueprints([TEAM])
    note = "x" * 400_000  # a few of these fill the pipe to the catalog's process
    teams = [
        [{"identifier": f"t{i}-{n}", "blueprint": "team", "title": note} for n in range(3)]
        for i in range(8)
    ]

    writes = [store.upsert_entities(team, owner=OWNER, merge=True) for team in teams]
    outcomes = await asyncio.gather(*writes, store.count_entities())

    assert [o.identifier for o in outcomes[0]] == ["t0-0", "t0-1", "t0-2"]
    assert outcomes[-1] == {"team": 24}  # made last, answered after every write


async def test_a_crashed_catalog_process_is_reported_not_waited_for(tmp_path: Path) -> None:
    process = await CatalogProcess.start(tmp_path / "c.db")
    store = SQLiteStore(process, tmp_path / "c.db")
    await store.count_entities()
    os.kill(process.pid, signal.SIGKILL)

    with pytest.raises(StoreError, match=r"its process exited \(code -9\) before answering"):
        await store.count_entities()
    await store.close()


async def test_a_catalog_process_that_cannot_start_leaves_the_catalog_on_a_thread(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(sys, "executable", str(tmp_path / "no-python"))

    store = await SQLiteStore.open(tmp_path / "c.db", own_process=True)
    try:
        await store.create_blueprints([TEAM])
        assert await store.count_entities() == {}
    finally:
        await store.close()
    assert "the catalog's own process did not start" in caplog.text


@pytest.mark.parametrize(
    ("before", "after"),
    [(None, ""), ("/elsewhere", os.pathsep + "/elsewhere")],
    ids=["no-pythonpath", "a-pythonpath"],
)
def test_the_catalog_process_imports_the_same_ocean_as_its_parent(
    monkeypatch: pytest.MonkeyPatch, before: str | None, after: str
) -> None:
    if before is None:
        monkeypatch.delenv("PYTHONPATH", raising=False)
    else:
        monkeypatch.setenv("PYTHONPATH", before)
    home = str(Path(ocean.__file__).resolve().parents[1])

    assert child_environment()["PYTHONPATH"] == home + after


async def test_the_thread_answers_until_the_catalog_process_is_ready(tmp_path: Path) -> None:
    host = await CatalogHandover.start(tmp_path / "c.db")
    assert isinstance(host, CatalogHandover)
    store = SQLiteStore(host, tmp_path / "c.db")
    try:
        await store.create_blueprints([TEAM])  # the child is still starting
        assert host.where == "thread"
        await host.settled()

        blueprints = await store.list_blueprints()

        assert host.where == "process"
        assert [bp["identifier"] for bp in blueprints] == ["team"]  # what the thread wrote
    finally:
        await store.close()


async def test_a_catalog_process_that_dies_opening_leaves_the_catalog_on_its_thread(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(sys, "executable", shutil.which("false") or "/bin/false")
    host = await CatalogHandover.start(tmp_path / "c.db")
    assert isinstance(host, CatalogHandover)
    store = SQLiteStore(host, tmp_path / "c.db")
    try:
        await host.settled()
        await store.create_blueprints([TEAM])

        assert host.where == "thread"
        assert await store.count_entities() == {}
    finally:
        await store.close()
    assert "the catalog's own process did not open" in caplog.text


async def test_a_catalog_process_started_ahead_opens_the_file_it_is_told(tmp_path: Path) -> None:
    spare = SpareCatalog.start()
    await asyncio.sleep(0.5)  # ready and waiting: its opening answers at once
    try:
        store = SQLiteStore(await CatalogProcess.start(tmp_path / "c.db", spare), tmp_path / "c.db")
        await store.create_blueprints([TEAM])
        assert [bp["identifier"] for bp in await store.list_blueprints()] == ["team"]
        await store.close()
    finally:
        spare.close()  # taken by the store: nothing to do


def test_a_catalog_process_started_ahead_and_never_told_a_file_exits_quietly() -> None:
    process, requests, answers = SpareCatalog.start().take()
    requests.close()

    assert process.wait(timeout=30) == 0
    os.close(answers)


@pytest.mark.parametrize(
    ("url", "started"),
    [
        ("sqlite:///catalog.db", True),
        ("catalog.db", True),
        (None, True),
        ("postgresql://postgres@127.0.0.1/test", False),
        ("https://api.getport.io", False),
    ],
)
def test_a_catalog_process_is_started_ahead_only_for_an_embedded_catalog(
    url: str | None, started: bool
) -> None:
    spare = SpareCatalog.start_for(url)
    if spare is not None:
        spare.close()

    assert (spare is not None) == started


async def test_a_stopped_catalog_process_has_exited_and_been_reaped(tmp_path: Path) -> None:
    process = await CatalogProcess.start(tmp_path / "c.db")
    await process.call(SQLiteCatalog.count_entities)

    await process.stop()

    with pytest.raises(ChildProcessError):  # reaped: no zombie left behind
        os.waitpid(process.pid, os.WNOHANG)


async def test_a_catalog_process_that_dies_leaves_the_catalog_on_its_thread(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    spare = SpareCatalog.start()
    host = await CatalogHandover.start(tmp_path / "c.db", spare)
    assert isinstance(host, CatalogHandover)
    store = SQLiteStore(host, tmp_path / "c.db")
    try:
        await host.settled()
        await store.create_blueprints([TEAM])
        assert host.where == "process"
        os.kill(spare.pid, signal.SIGKILL)  # out of memory, say

        with pytest.raises(StoreError, match="its process exited"):
            await store.count_entities()

        assert host.where == "thread"
        assert [bp["identifier"] for bp in await store.list_blueprints()] == ["team"]
    finally:
        await store.close()
        spare.close()
    assert "the catalog's own process exited" in caplog.text


async def test_a_relative_catalog_path_is_the_file_in_the_folder_the_catalog_opened_from(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    started, opened = tmp_path / "started", tmp_path / "opened"
    started.mkdir()
    opened.mkdir()
    monkeypatch.chdir(started)
    spare = SpareCatalog.start()  # as ocean sail does, first thing
    monkeypatch.chdir(opened)  # as an integration's main.py may, on import
    store = await SQLiteStore.open(Path("c.db"), own_process=True, spare=spare)
    try:
        await store.create_blueprints([TEAM])  # answered by the thread
        async with asyncio.timeout(10):
            while not store.maps_pages():  # the child has taken over
                await asyncio.sleep(0.01)
                await store.count_entities()

        team = [{"identifier": "t1", "blueprint": "team"}]
        outcomes = await store.upsert_entities(team, owner=OWNER, merge=True)  # type: ignore[list-item]

        assert [outcome.status for outcome in outcomes] == ["created"]
    finally:
        await store.close()
        spare.close()
    assert not (started / "c.db").exists()


_TERMINATED = """
import asyncio, signal, sys
from pathlib import Path
from ocean.store.sqlite.store import SQLiteStore
TEAM = {"identifier": "team", "title": "Team", "schema": {"properties": {}}}

async def main() -> None:
    store = await SQLiteStore.open(Path(sys.argv[1]), own_process=True)
    await store._host.settled()
    await store.create_blueprints([TEAM])
    terminated = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, terminated.set)
    print(store._host.where, flush=True)
    await terminated.wait()  # the sail winds down: its last writes, then it closes the catalog
    await asyncio.sleep(0.3)
    print(store._host.where, [bp["identifier"] for bp in await store.list_blueprints()])
    await store.close()

asyncio.run(main())
"""


async def test_a_termination_sent_to_the_whole_process_group_is_left_to_the_parent(
    tmp_path: Path,
) -> None:
    """``kill %1``, systemd's stop and ``timeout`` signal the sail's whole process group:
    the catalog's process must not die beside the sail winding down (its write under way
    lost, an error saying it crashed), as it does not on an interrupt (Ctrl+C)."""
    sail = await asyncio.create_subprocess_exec(
        sys.executable, "-c", _TERMINATED, str(tmp_path / "c.db"),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        env=child_environment(), start_new_session=True,
    )  # fmt: skip
    assert sail.stdout is not None
    assert await asyncio.wait_for(sail.stdout.readline(), 30) == b"process\n"

    os.killpg(sail.pid, signal.SIGTERM)
    out, errors = await asyncio.wait_for(sail.communicate(), 30)

    assert (sail.returncode, out.decode(), errors.decode()) == (0, "process ['team']\n", "")
