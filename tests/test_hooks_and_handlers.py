"""Author API behaviour in a resync: catch-all handlers, hooks, env access, dates."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from ocean.job import SilentObserver
from ocean.listen.once import finish, run_once
from ocean.sail import prepare
from ocean.store.sqlite.store import SQLiteStore

MAIN = """
import asyncio
import datetime as dt
import json, os
from ocean import Integration

ocean = Integration()
calls = []

def _record(name):
    with open(os.environ["CALLS_FILE"], "a") as handle:
        handle.write(name + "\\n")

@ocean.on_start()
async def started():
    _record("start")

@ocean.on_resync_start()
async def resync_started():
    _record("resync_start")
    if os.environ.get("FAIL_START_HOOK") == "http":
        import httpx
        raise httpx.ConnectError("state unknown")
    if os.environ.get("FAIL_START_HOOK") == "cancelled":  # a task it awaits, cancelled by
        fetch = asyncio.ensure_future(asyncio.sleep(10))  # another component
        asyncio.get_running_loop().call_soon(fetch.cancel)
        await asyncio.gather(fetch)
    if os.environ.get("FAIL_START_HOOK"):
        raise RuntimeError("no credentials")

@ocean.on_resync_complete()
async def resync_completed():
    _record("resync_complete")

@ocean.on_stop()
async def failing_stop():
    _record("stop-failing")
    raise RuntimeError("the client was already closed")

@ocean.on_stop()
async def stopped():
    _record("stop")
    if os.environ.get("HANG_ON_STOP"):
        await asyncio.sleep(3600)

@ocean.on_resync()
async def everything(kind):
    _record(f"catch-all:{kind}")
    count = int(os.environ.get("ITEMS", "3"))
    return [{"id": f"{kind}-{i}", "when": dt.datetime(2024, 5, 1, 12, 0, tzinfo=dt.timezone.utc),
             "day": dt.date(2024, 5, i + 1)} for i in range(count)]
"""

MAPPING = {
    "resources": [
        {
            "kind": kind,
            "selector": {"query": "true"},
            "port": {
                "entity": {
                    "mappings": {
                        "identifier": ".id",
                        "blueprint": '"thing"',
                        "title": "env.TITLE_PREFIX + .id",
                        "properties": {"when": ".when", "day": ".day | tostring"},
                    }
                }
            },
        }
        for kind in ("alpha", "beta")
    ]
}
BLUEPRINT = {
    "identifier": "thing",
    "title": "Thing",
    "schema": {"properties": {"when": {"type": "string"}, "day": {"type": "string"}}},
    "relations": {},
}


def _folder(tmp_path: Path) -> Path:
    folder = tmp_path / "hooks"
    (folder / ".port" / "resources").mkdir(parents=True)
    (folder / "main.py").write_text(MAIN)
    (folder / ".port" / "resources" / "port-app-config.yml").write_text(yaml.safe_dump(MAPPING))
    (folder / ".port" / "resources" / "blueprints.json").write_text(json.dumps([BLUEPRINT]))
    return folder


async def _sail(folder: Path, catalog: Path, environ: dict[str, str]):  # type: ignore[no-untyped-def]
    store = await SQLiteStore.open(catalog)
    try:
        return await run_once(
            prepare(folder, environ=environ, overrides={}), store, SilentObserver()
        )
    finally:
        await store.close()


async def test_catch_all_handler_runs_for_every_kind_and_hooks_in_order(
    tmp_path: Path, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    calls = tmp_path / "calls.txt"
    monkeypatch.setenv("CALLS_FILE", str(calls))
    environ = {"TITLE_PREFIX": "T-"}

    report = await _sail(_folder(tmp_path), tmp_path / "c.db", environ)

    assert report.status == "completed"
    assert calls.read_text().split() == [
        "start",
        "resync_start",
        "catch-all:alpha",
        "catch-all:beta",
        "resync_complete",
        "stop-failing",
        "stop",
    ]
    store = await SQLiteStore.open(tmp_path / "c.db")
    entity = (await store.get_entities("thing", ["alpha-0"]))["alpha-0"]
    await store.close()
    assert entity["title"] == "T-alpha-0"
    assert entity["properties"] == {"when": "2024-05-01T12:00:00+00:00", "day": "2024-05-01"}


@pytest.mark.parametrize(
    ("raised", "handlers_run"),
    [("http", ["catch-all:alpha", "catch-all:beta"]), ("other", []), ("cancelled", [])],
    ids=[
        "an HTTP error: the kinds run",
        "another error: nothing is synced",
        # (it was the resync's stop: recorded aborted, and a polling listener ended with it)
        "a CancelledError of its own: as another error",
    ],
)
async def test_failed_resync_start_hook_skips_deletion_and_completion(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, raised: str, handlers_run: list[str]
) -> None:
    calls = tmp_path / "calls.txt"
    monkeypatch.setenv("CALLS_FILE", str(calls))
    folder = _folder(tmp_path)
    await _sail(folder, tmp_path / "c.db", {})
    monkeypatch.setenv("ITEMS", "1")
    monkeypatch.setenv("FAIL_START_HOOK", raised)
    calls.write_text("")

    report = await _sail(folder, tmp_path / "c.db", {})

    assert report.status == "failed" and report.deleted == 0
    assert calls.read_text().split() == [
        "start",
        "resync_start",
        *handlers_run,
        "stop-failing",
        "stop",
    ]
    assert all(kind.status == "failed" for kind in report.kinds) == (not handlers_run)
    assert ("CancelledError" in report.errors[0]) == (raised == "cancelled")
    store = await SQLiteStore.open(tmp_path / "c.db")
    kept = await store.get_entities("thing", ["alpha-0", "alpha-2"])
    await store.close()
    assert sorted(kept) == ["alpha-0", "alpha-2"]


async def test_environment_access_can_be_switched_off(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("CALLS_FILE", str(tmp_path / "calls.txt"))
    environ = {"TITLE_PREFIX": "T-", "OCEAN__ALLOW_ENVIRONMENT_VARIABLES_JQ_ACCESS": "false"}

    await _sail(_folder(tmp_path), tmp_path / "c.db", environ)

    store = await SQLiteStore.open(tmp_path / "c.db")
    entity = (await store.get_entities("thing", ["alpha-0"]))["alpha-0"]
    await store.close()
    assert entity["title"] == "alpha-0"  # env is {} so env.TITLE_PREFIX is null


async def test_stop_hooks_that_hang_are_abandoned_with_an_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    calls = tmp_path / "calls.txt"
    monkeypatch.setenv("CALLS_FILE", str(calls))
    monkeypatch.setenv("HANG_ON_STOP", "1")
    sail = prepare(_folder(tmp_path), environ={}, overrides={})

    await finish(sail, within=0.05)

    assert calls.read_text().split() == ["stop-failing", "stop"]
    assert "on_stop hook failing_stop raised RuntimeError: the client was already closed" in (
        caplog.text
    )
    assert "the on_stop hooks took longer than 0.05 s; stopping without them" in caplog.text


def test_a_catch_all_incremental_handler_serves_the_kinds_with_their_own_after_theirs() -> None:
    """As the original's ``on_incremental_resync()`` (no kind): it joins a kind's own
    incremental handlers, and alone makes no kind incremental."""
    from ocean import Integration

    ocean = Integration()

    @ocean.on_incremental_resync("service")
    async def services(kind: str) -> list[dict[str, str]]:
        return []

    @ocean.on_incremental_resync()
    async def everything(kind: str) -> list[dict[str, str]]:
        return []

    assert ocean.incremental_handlers_for("service") == [services, everything]
    assert ocean.incremental_handlers_for("team") == []
