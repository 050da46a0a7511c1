"""Incremental sync, run as a user runs it (``ocean sail --once`` of the fake integration):
a full run, then incremental runs that fetch only changes since the stored cursor, a
failed run that keeps the old cursor, a kill -9 that loses nothing, and a full resync that
still deletes."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from ocean.config.settings import IntegrationSettings
from ocean.errors import ConfigError
from ocean.store.base import KeepsCursors, Store
from ocean.store.open import open_store
from tests.conftest import TEAMS, Workspace, services

FAKE = Path(__file__).resolve().parents[1] / "integrations" / "fake"
PERSONS = 400


def _sail(catalog: str, report: Path, **config: Any) -> subprocess.Popen[bytes]:
    env = os.environ | {
        "OCEAN__INTEGRATION__CONFIG__ENTITY_AMOUNT": str(PERSONS),
        "OCEAN__INTEGRATION__CONFIG__THIRD_PARTY_BATCH_SIZE": "10",
        "OCEAN__RESYNC_LEASE_SECONDS": "1",
        "OCEAN__RESYNC_LEASE_WAIT_SECONDS": "10",
    }
    for name, value in config.items():
        env[f"OCEAN__{name.upper()}"] = str(value)
    command = [sys.executable, "-m", "ocean", "sail", str(FAKE), "--once", "--quiet",
               "--catalog", catalog, "--report", str(report)]  # fmt: skip
    return subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def _run(catalog: str, report: Path, **config: Any) -> dict[str, Any]:
    process = _sail(catalog, report, **config)
    _, errors = process.communicate(timeout=120)
    document: dict[str, Any] = json.loads(report.read_text())
    assert process.returncode == (0 if document["status"] == "completed" else 1), errors.decode()
    return document


def _incremental(changed: int, at: dt.datetime, **more: Any) -> dict[str, Any]:
    return {
        "integration__incremental_sync_enabled": "true",
        "integration__config__changed_persons": changed,
        "integration__config__changed_at": at.isoformat(),
    } | more


def _person(document: dict[str, Any]) -> dict[str, Any]:
    (kind,) = [k for k in document["kinds"] if k["kind"] == "person"]
    return kind


async def _ages_and_count(catalog: str) -> tuple[dict[str, int], int]:
    store: Store = await open_store(catalog)
    try:
        ages = {
            e["identifier"]: e["properties"]["age"] async for e in store.iter_entities("fakePerson")
        }
        return ages, sum((await store.count_entities()).values())
    finally:
        await store.close()


async def _cursor(catalog: str) -> str | None:
    store = await open_store(catalog)
    try:
        assert isinstance(store, KeepsCursors)
        return await store.get_cursor("my-fake-integration", "person", 3)
    finally:
        await store.close()


@pytest.fixture(params=["sqlite", "postgresql"])
def catalog(request: pytest.FixtureRequest, tmp_path: Path, postgres_url: str) -> str:
    return f"sqlite:///{tmp_path / 'catalog.db'}" if request.param == "sqlite" else postgres_url


async def test_incremental_runs_fetch_only_changes_and_advance_their_cursor(
    catalog: str, tmp_path: Path
) -> None:
    report = tmp_path / "report.json"
    full = _run(catalog, report)
    before, total = await _ages_and_count(catalog)
    changed_at = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)

    first = _run(catalog, report, **_incremental(20, changed_at))

    assert first["mode"] == "incremental" and first["status"] == "completed"
    assert [k["kind"] for k in first["kinds"]] == ["person"]
    assert (_person(first)["extracted"], _person(first)["updated"]) == (20, 20)
    ages, count = await _ages_and_count(catalog)
    assert count == total and first["deleted"] == 0
    assert all(ages[f"person-{i}"] == before[f"person-{i}"] + (i < 20) for i in range(PERSONS))
    assert await _cursor(catalog) == _person(first)["cursor"] == first["started_at"]

    again = _run(catalog, report, **_incremental(20, changed_at))  # nothing changed since

    assert _person(again)["extracted"] == 0
    assert _person(again)["cursor_from"] == first["started_at"]
    assert await _cursor(catalog) == again["started_at"]
    assert full["mode"] == "full"


async def test_a_failed_or_killed_incremental_run_keeps_its_cursor_and_loses_nothing(
    catalog: str, tmp_path: Path
) -> None:
    report = tmp_path / "report.json"
    _run(catalog, report)
    first = _run(
        catalog, report, **_incremental(10, dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1))
    )
    later = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=1)
    time.sleep(1.2)  # the changes below happen after the first run's cursor
    changes = _incremental(60, later)

    failed = _run(catalog, report, **changes, integration__config__incremental_fail_after=25)

    assert failed["status"] == "failed" and _person(failed)["updated"] > 0
    assert await _cursor(catalog) == first["started_at"]  # not advanced
    killed = _sail(catalog, report, **changes, integration__config__third_party_latency_ms=1500)
    time.sleep(2.5)  # mid-feed: its 6 pages take 9 s
    os.kill(killed.pid, signal.SIGKILL)
    killed.communicate()
    assert await _cursor(catalog) == first["started_at"]

    rerun = _run(catalog, report, **changes)

    assert _person(rerun)["extracted"] == 60 and rerun["status"] == "completed"
    ages, _ = await _ages_and_count(catalog)
    full = _run(catalog, tmp_path / "full.json", integration__config__changed_persons=60,
                integration__config__changed_at=later.isoformat())  # fmt: skip
    assert (_person(full)["created"], _person(full)["updated"]) == (0, 0)  # nothing was lost
    assert ages == (await _ages_and_count(catalog))[0]


async def test_a_first_incremental_run_that_fails_keeps_its_seed_as_the_cursor(
    catalog: str, tmp_path: Path
) -> None:
    """With no cursor yet, a failed run left none, and the next one seeded from its own
    start: the changes between the two seeds were never fetched."""
    report = tmp_path / "report.json"
    _run(catalog, report)
    changes = _incremental(60, dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1))

    failed = _run(catalog, report, **changes, integration__config__incremental_fail_after=25)
    rerun = _run(catalog, report, **changes)

    assert failed["status"] == "failed"
    assert _person(rerun)["cursor_from"] == _person(failed)["cursor_from"]
    assert _person(rerun)["extracted"] == 60 and rerun["status"] == "completed"


async def test_a_full_resync_after_incremental_runs_still_deletes_what_is_gone(
    catalog: str, tmp_path: Path
) -> None:
    report = tmp_path / "report.json"
    _run(catalog, report)
    _run(catalog, report, **_incremental(5, dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)))

    shrunk = _run(catalog, report, integration__config__entity_amount=PERSONS - 20)

    assert _person(shrunk)["deleted"] == 20


@pytest.mark.parametrize(
    ("text", "minutes"),
    [
        ("15", 15),
        ("15m", 15),
        ("1h", 60),
        ("2d", 2880),
        (" 30M ", 30),
        ("", 15),
        (" ", 15),
        ("0", None),
        ("soon", None),
    ],  # fmt: skip
)
def test_the_incremental_interval_reads_as_the_original_writes_it(
    text: str, minutes: int | None
) -> None:
    settings = IntegrationSettings(incremental_sync_interval=text)
    if minutes is None:
        with pytest.raises(ConfigError, match="INCREMENTAL_SYNC_INTERVAL"):
            settings.incremental_minutes()
    else:
        assert settings.incremental_minutes() == minutes


TWO_KINDS_MAIN = """
import asyncio, json
from ocean import Integration

ocean = Integration()

def _data():
    with open(ocean.integration_config["data_file"]) as handle:
        return json.load(handle)

@ocean.on_resync("service")
async def services(kind):
    return [item for page in _data()["service"] for item in page]

@ocean.on_resync("team")
async def teams(kind):
    return _data()["team"]

@ocean.on_incremental_resync("service")
async def changed_services(kind):
    data = _data()
    if data.get("slow"):
        await asyncio.sleep(data["slow"])
    return data.get("changed_services", [])

@ocean.on_incremental_resync("team")
async def changed_teams(kind):
    if _data().get("team_feed_down"):
        raise RuntimeError("the team feed went away")
    return _data().get("changed_teams", [])
"""

CATCH_ALL = """
@ocean.on_incremental_resync()
async def changed_anything(kind):
    return _data().get("changed_" + kind + "s", [])
"""


@pytest.fixture
def two_kinds(workspace: Workspace) -> Workspace:
    (workspace.folder / "main.py").write_text(TWO_KINDS_MAIN)
    workspace.set_data(services=[services(5)], teams=TEAMS)
    return workspace


async def _cursors_of(workspace: Workspace) -> tuple[str | None, str | None]:
    store = await open_store(str(workspace.catalog))
    try:
        assert isinstance(store, KeepsCursors)
        name = "my-integration-integration"
        return await store.get_cursor(name, "team", 0), await store.get_cursor(name, "service", 1)
    finally:
        await store.close()


async def test_two_kinds_keep_separate_cursors(two_kinds: Workspace) -> None:
    await two_kinds.sail()
    two_kinds.environ["OCEAN__INTEGRATION__INCREMENTAL_SYNC_ENABLED"] = "true"
    two_kinds.set_data(services=[services(5)], teams=TEAMS, team_feed_down=True,
                       changed_services=services(1, stars=9))  # fmt: skip

    report = await two_kinds.sail()

    assert report.mode == "incremental" and report.status == "failed"
    team, service = await _cursors_of(two_kinds)
    (failed,) = [kind for kind in report.kinds if kind.kind == "team"]
    assert team == failed.cursor_from and service == report.started_at  # its seed kept
    assert (await two_kinds.entities("service"))["svc-0"]["properties"]["stars"] == 9


async def test_an_aborted_incremental_run_keeps_its_cursor(two_kinds: Workspace) -> None:
    await two_kinds.sail()
    two_kinds.environ["OCEAN__INTEGRATION__INCREMENTAL_SYNC_ENABLED"] = "true"
    two_kinds.set_data(services=[services(5)], teams=TEAMS, changed_teams=TEAMS[:1])
    first = await two_kinds.sail()
    two_kinds.set_data(services=[services(5)], teams=TEAMS, slow=30)

    running = asyncio.create_task(two_kinds.sail())
    await asyncio.sleep(1.5)
    running.cancel()
    with pytest.raises(asyncio.CancelledError):
        await running

    team, service = await _cursors_of(two_kinds)
    assert service == first.started_at  # the kind it was in keeps its cursor
    assert team is not None and team > first.started_at  # the kind that completed advanced
    store = await open_store(str(two_kinds.catalog))
    try:
        assert [run.status for run in await store.list_runs(1)] == ["aborted"]
    finally:
        await store.close()


async def test_a_handler_of_every_kind_runs_only_for_kinds_with_one_of_their_own(
    workspace: Workspace,
) -> None:
    """As in the original: the catch-all joins a kind's own incremental handlers; alone it
    makes no kind incremental (a kind without one keeps what its last full resync wrote)."""
    main = TWO_KINDS_MAIN.replace('@ocean.on_incremental_resync("team")', "# no team feed")
    (workspace.folder / "main.py").write_text(main + CATCH_ALL)
    workspace.set_data(services=[services(5)], teams=TEAMS)
    await workspace.sail()
    workspace.environ["OCEAN__INTEGRATION__INCREMENTAL_SYNC_ENABLED"] = "true"
    renamed = [{"id": "core", "name": "Core, renamed"}]
    workspace.set_data(services=[services(5)], teams=TEAMS, changed_teams=renamed)

    report = await workspace.sail()

    assert report.mode == "incremental"
    assert [kind.kind for kind in report.kinds] == ["service"]
    assert (await workspace.entities("team"))["core"]["title"] == "Core"


ORIGINAL_STYLE_MAIN = """
import json
from port_ocean.context.event import EventType, event
from port_ocean.context.ocean import ocean

def _data():
    with open(ocean.integration_config["data_file"]) as handle:
        return json.load(handle)

@ocean.on_resync("team")
async def teams(kind):
    return [team | {"name": event.event_type} for team in _data()["team"]]

@ocean.on_incremental_resync("team")
async def changed_teams(kind):
    assert event.event_type == EventType.INCREMENTAL_RESYNC
    return [team | {"name": event.event_type} for team in _data()["team"]]
"""


async def test_an_incremental_sync_is_an_incremental_resync_event(workspace: Workspace) -> None:
    """``event.event_type`` is ``EventType.INCREMENTAL_RESYNC`` in an incremental run, as in
    the original (integrations branch on it), and ``resync`` in a full one."""
    (workspace.folder / "main.py").write_text(ORIGINAL_STYLE_MAIN)
    workspace.set_data(services=[], teams=TEAMS)
    await workspace.sail()
    full = (await workspace.entities("team"))["core"]["title"]
    workspace.environ["OCEAN__INTEGRATION__INCREMENTAL_SYNC_ENABLED"] = "true"

    report = await workspace.sail()

    assert report.mode == "incremental" and report.status == "completed", report.kinds
    assert (full, (await workspace.entities("team"))["core"]["title"]) == (
        "resync",
        "incremental_resync",
    )
