"""``ocean.testing``: an integration's own tests run a resync and read what it wrote."""

from __future__ import annotations

import pytest

from ocean.testing import resync, resync_async
from tests.conftest import RAISED_AT, TEAMS, Workspace, services


def test_resync_returns_the_report_and_the_entities(workspace: Workspace) -> None:
    workspace.set_data(services=[services(2)], teams=TEAMS)

    synced = resync(workspace.folder, config={"dataFile": str(workspace.data_file)})

    assert synced.status == "completed", synced.errors
    assert sorted(synced.entities) == ["service", "team"]
    assert synced.entities["service"]["svc-1"]["title"] == "Service 1"


def test_errors_name_the_kind_and_the_handlers_line(workspace: Workspace) -> None:
    workspace.set_data(services=[services(1), services(1)], teams=TEAMS, fail_service_after=1)

    synced = resync(workspace.folder, config={"data_file": str(workspace.data_file)})

    assert synced.status == "failed"
    assert synced.errors[0].startswith("service: kind 'service': handler services raised")
    assert f"main.py:{RAISED_AT} in services" in synced.errors[0]


def test_the_shells_settings_are_not_read(
    workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    workspace.set_data(services=[services(1)], teams=TEAMS)
    monkeypatch.setenv("OCEAN__INTEGRATION__CONFIG__DATA_FILE", "/nowhere.json")
    monkeypatch.setenv("OCEAN__CATALOG__URL", "sqlite:////nowhere/catalog.db")

    synced = resync(workspace.folder, config={"data_file": str(workspace.data_file)})

    assert synced.status == "completed", synced.errors


async def test_in_a_running_loop_and_into_a_given_catalog(workspace: Workspace) -> None:
    workspace.set_data(services=[services(2)], teams=TEAMS)
    config = {"data_file": str(workspace.data_file)}
    await resync_async(workspace.folder, config=config, catalog=workspace.catalog)
    workspace.set_data(services=[services(1)], teams=TEAMS)

    synced = await resync_async(workspace.folder, config=config, catalog=workspace.catalog)

    assert synced.report.total("unchanged") == 3  # the first run's entities were kept
    assert sorted(synced.entities["service"]) == ["svc-0"]
