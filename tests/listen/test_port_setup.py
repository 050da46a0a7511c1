"""Against a Port API: the integration is set up once (its blueprints are Port's to edit
after), and every resync maps by the mapping Port keeps for it, as the original."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from ocean.defaults import dock
from ocean.errors import MappingError
from ocean.job import SilentObserver
from ocean.listen.once import run_once, start
from ocean.mapping import to_document
from ocean.sail import Sail, prepare
from ocean.store.port.http import PortAPIError
from tests.conftest import TEAMS, Workspace, services
from tests.store.port.fake_port import FakePort, client

INTEGRATION = "my-integration-integration"


def _prepared(tmp_path: Path, **environ: str) -> Sail:
    workspace = Workspace(tmp_path)
    workspace.set_data(services=[services(3)], teams=TEAMS)
    return prepare(workspace.folder, environ=workspace.environ | environ, overrides={})


def _blueprint_calls(port: FakePort) -> list[tuple[str, str]]:
    return [(method, path) for method, path, _ in port.calls if path.startswith("/blueprints")
            and "/entities" not in path and method != "GET"]  # fmt: skip


async def test_a_first_start_installs_the_integration_and_sets_its_blueprints_up_once(
    tmp_path: Path,
) -> None:
    port = FakePort()
    prepared = _prepared(tmp_path)

    first = await run_once(prepared, client(port), SilentObserver())
    port.blueprints["service"]["title"] = "Services (edited in Port)"
    del port.blueprints["service"]["schema"]["properties"]["url"]
    made = _blueprint_calls(port)
    again = await run_once(prepared, client(port), SilentObserver())

    assert (first.status, first.created_blueprints) == ("completed", ["team", "service"])
    assert port.integrations[INTEGRATION]["arePortResourcesInitialized"] is True
    assert port.integrations[INTEGRATION]["config"]["resources"][1]["kind"] == "service"
    assert again.status == "completed"
    assert _blueprint_calls(port) == made  # nothing made or changed once set up
    assert port.blueprints["service"]["title"] == "Services (edited in Port)"


@pytest.mark.parametrize(
    ("environ", "existing", "created", "initialized"),
    [
        ({"OCEAN__INITIALIZE_PORT_RESOURCES": "false"}, [], [], None),
        ({}, ["team"], ["service"], True),
    ],
    ids=["setup-off", "one-exists-the-other-is-made"],
)
async def test_the_setup_makes_only_the_missing_blueprints_and_none_when_off(
    tmp_path: Path,
    environ: dict[str, str],
    existing: list[str],
    created: list[str],
    initialized: bool | None,
) -> None:
    port = FakePort()
    for name in existing:
        port.blueprints[name] = {"identifier": name, "title": "Made in Port", "schema": {}}

    await run_once(_prepared(tmp_path, **environ), client(port), SilentObserver())

    assert sorted(port.blueprints) == sorted(existing + created)
    assert port.integrations[INTEGRATION].get("arePortResourcesInitialized") is initialized


async def test_an_integration_with_an_empty_mapping_gets_the_folders_at_setup(
    tmp_path: Path,
) -> None:
    port = FakePort()
    port.integrations[INTEGRATION] = {"installationId": INTEGRATION, "config": {}}

    report = await run_once(_prepared(tmp_path), client(port), SilentObserver())

    assert report.status == "completed"
    assert ("PATCH", f"/integration/{INTEGRATION}/config") in [c[:2] for c in port.calls]
    assert port.integrations[INTEGRATION]["config"]["resources"][0]["kind"] == "team"


async def test_a_resync_maps_by_the_mapping_port_keeps(tmp_path: Path) -> None:
    port = FakePort()
    prepared = _prepared(tmp_path)
    await run_once(prepared, client(port), SilentObserver())
    edited: dict[str, Any] = port.integrations[INTEGRATION]["config"]
    edited["resources"][0]["port"]["entity"]["mappings"]["title"] = '.name + " (from Port)"'

    report = await run_once(prepared, client(port), SilentObserver())

    assert report.status == "completed"
    assert port.entities[("team", "core")]["title"] == "Core (from Port)"


async def test_an_empty_mapping_in_port_fails_the_resync_before_it_writes_or_deletes(
    tmp_path: Path,
) -> None:
    port = FakePort()
    prepared = _prepared(tmp_path)
    await run_once(prepared, client(port), SilentObserver())
    stored = dict(port.entities)
    port.integrations[INTEGRATION]["config"] = {}

    with pytest.raises(MappingError, match="is empty, so nothing was synced"):
        await run_once(prepared, client(port), SilentObserver())

    assert port.entities == stored


async def test_a_setup_that_fails_midway_is_completed_by_the_next_start(
    tmp_path: Path,
) -> None:
    """Nothing made is deleted, and the record is marked set up only once every blueprint
    exists (the original deletes what it made and marks it set up, for ever incomplete)."""
    port = FakePort()
    prepared = _prepared(tmp_path)
    posts, handle = [0], port._blueprints

    def second_refused(method: str, parts: list[str], body: Any) -> httpx.Response:
        posts[0] += method == "POST"
        if method == "POST" and posts[0] == 2:
            return httpx.Response(422, json={"ok": False, "error": "invalid", "message": "no"})
        return handle(method, parts, body)

    port._blueprints = second_refused  # type: ignore[method-assign]

    with pytest.raises(PortAPIError, match="invalid"):
        await run_once(prepared, client(port), SilentObserver())
    assert sorted(port.blueprints) == ["team"]
    assert not port.integrations[INTEGRATION].get("arePortResourcesInitialized")

    report = await run_once(prepared, client(port), SilentObserver())
    assert (report.status, sorted(port.blueprints)) == ("completed", ["service", "team"])
    assert port.integrations[INTEGRATION]["arePortResourcesInitialized"] is True


async def test_a_blueprint_another_replica_makes_meanwhile_counts_as_made(
    tmp_path: Path,
) -> None:
    port = FakePort()
    handle = port._blueprints

    def made_elsewhere(method: str, parts: list[str], body: Any) -> httpx.Response:
        if method == "POST" and body["identifier"] == "service":
            handle(method, parts, body)  # the other replica's, just before
            return httpx.Response(409, json={"ok": False, "error": "taken", "message": "exists"})
        return handle(method, parts, body)

    port._blueprints = made_elsewhere  # type: ignore[method-assign]

    report = await run_once(_prepared(tmp_path), client(port), SilentObserver())

    assert (report.status, report.created_blueprints) == ("completed", ["team"])
    assert sorted(port.blueprints) == ["service", "team"]
    assert port.integrations[INTEGRATION]["arePortResourcesInitialized"] is True


async def test_defaults_dock_applies_the_folders_mapping_to_an_installed_integration(
    tmp_path: Path,
) -> None:
    port = FakePort()
    prepared = _prepared(tmp_path)
    await run_once(prepared, client(port), SilentObserver())
    edited = to_document(prepared.folder.mapping)
    edited["resources"][0]["port"]["entity"]["mappings"]["title"] = '.name + " (docked)"'

    port.integrations[INTEGRATION]["changelogDestination"] = {"type": "KAFKA"}
    await dock(client(port), prepared.owner, prepared.folder.blueprints, edited)
    kept = port.integrations[INTEGRATION]["changelogDestination"]  # the sail's to set
    report = await run_once(prepared, client(port), SilentObserver())

    assert kept == {"type": "KAFKA"}
    assert report.status == "completed"
    assert port.entities[("team", "core")]["title"] == "Core (docked)"


async def test_a_start_takes_the_mapping_port_keeps_before_any_resync(tmp_path: Path) -> None:
    """Live events map by it from the start (a webhooks-only sail may never resync)."""
    port = FakePort()
    prepared = _prepared(tmp_path)
    await run_once(prepared, client(port), SilentObserver())
    edited = port.integrations[INTEGRATION]["config"]
    edited["resources"][0]["port"]["entity"]["mappings"]["title"] = '.name + " (live)"'
    again = _prepared(tmp_path / "again")

    await start(again, client(port))

    team = again.folder.mapping.resources[0].port.entity.mappings
    assert team.title == '.name + " (live)"'


async def test_the_integration_tells_port_whether_it_syncs_incrementally_and_runs_actions(
    tmp_path: Path,
) -> None:
    """As the original: the record carries ``incrementalSyncEnabled`` and
    ``actionsProcessingEnabled``, patched when the settings change."""
    port = FakePort()
    await run_once(_prepared(tmp_path), client(port), SilentObserver())
    installed = dict(port.integrations[INTEGRATION])

    enabled = {"OCEAN__INTEGRATION__INCREMENTAL_SYNC_ENABLED": "true"}
    await start(_prepared(tmp_path / "again", **enabled), client(port))

    assert (installed["incrementalSyncEnabled"], installed["actionsProcessingEnabled"]) == (
        False,
        False,
    )
    assert port.integrations[INTEGRATION]["incrementalSyncEnabled"] is True


async def test_a_blueprint_made_without_its_relations_gets_them_at_the_next_start(
    tmp_path: Path,
) -> None:
    """A blueprint is made without relations, then patched: a start stopped in between
    is completed by the next, relations included, before the setup is marked done."""
    port = FakePort()
    port.failures["PATCH /blueprints/service"] = [(500, {})]
    prepared = _prepared(tmp_path)

    with pytest.raises(PortAPIError):
        await run_once(prepared, client(port), SilentObserver())
    assert "relations" not in port.blueprints["service"]
    report = await run_once(prepared, client(port), SilentObserver())

    assert report.status == "completed"
    assert port.blueprints["service"]["relations"]["team"]["target"] == "team"
    assert port.integrations[INTEGRATION]["arePortResourcesInitialized"] is True


@pytest.mark.parametrize(
    ("failing", "created"),
    [
        (None, {"/actions": ["restart"], "/blueprints/service/scorecards": ["ready"],
                "/pages": ["services_page"]}),
        ("POST /pages", {"/actions": ["restart"], "/blueprints/service/scorecards": ["ready"]}),
        ("POST /actions", {"/blueprints/service/scorecards": ["ready"],
                           "/pages": ["services_page"]}),
    ],
    ids=["all-made", "a-page-refused", "an-action-refused"],
)  # fmt: skip
async def test_the_first_setup_creates_the_folders_actions_scorecards_and_pages(
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    failing: str | None,
    created: dict[str, list[str]],
) -> None:
    """As the original's default setup: after the blueprints, the actions, scorecards
    and pages of ``.port/resources/``; one Port refuses is logged and the rest are made,
    and the integration is set up all the same (only once)."""
    port = FakePort()
    if failing is not None:
        port.failures[failing] = [(422, {})]
    workspace = Workspace(tmp_path)
    workspace.set_data(services=[services(3)], teams=TEAMS)
    resources = workspace.folder / ".port" / "resources"
    (resources / "actions.json").write_text('[{"identifier": "restart", "title": "Restart"}]')
    (resources / "scorecards.json").write_text(
        '[{"blueprint": "service", "data": [{"identifier": "ready", "rules": []}]}]'
    )
    (resources / "pages.json").write_text('[{"identifier": "services_page"}]')
    prepared = prepare(workspace.folder, environ=workspace.environ, overrides={})

    first = await run_once(prepared, client(port), SilentObserver())
    await run_once(prepared, client(port), SilentObserver())

    assert first.status == "completed"
    made = {path: [body["identifier"] for body in bodies] for path, bodies in port.defaults.items()}
    assert made == created
    assert port.integrations[INTEGRATION]["arePortResourcesInitialized"] is True
    if failing is not None:
        assert "could not create the" in caplog.text and "create it in Port by hand" in caplog.text


async def test_a_blueprint_made_in_port_that_refuses_the_folders_relation_is_left_as_it_is(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A blueprint Port has from before lacks the folder's relation, and Port refuses the
    patch (a property of its own in the way, say): the setup goes on, with a warning, as
    the original never touches a blueprint that exists (a refusal failed every start)."""
    port = FakePort()
    port.blueprints["service"] = {"identifier": "service", "title": "Made in Port", "schema": {}}
    port.failures["PATCH /blueprints/service"] = [(422, {})]

    report = await run_once(_prepared(tmp_path), client(port), SilentObserver())

    assert report.status == "completed"
    assert port.blueprints["service"]["title"] == "Made in Port"
    assert "relations" not in port.blueprints["service"]
    assert port.integrations[INTEGRATION]["arePortResourcesInitialized"] is True
    assert (
        "the blueprint service in the catalog was not given the folder's relations" in caplog.text
    )
