"""An integration's blueprints kept in step with blueprints.json on every sail, and
``ocean defaults dock|clean`` (real ``ocean`` processes on the embedded catalog)."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from typing import Any

import pytest

from ocean.store.open import open_store
from tests.conftest import TEAMS, Workspace, services


def _ocean(
    workspace: Workspace, *args: str, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "ocean", *args]
    env = os.environ | workspace.environ
    return subprocess.run(
        command, env=env, input=stdin, capture_output=True, text=True, timeout=120
    )


def _synced_once(workspace: Workspace) -> list[str]:
    """The workspace's three services and teams synced once; the ``--catalog`` arguments."""
    workspace.set_data(services=[services(3)], teams=TEAMS)
    catalog = ["--catalog", str(workspace.catalog)]
    synced = _ocean(workspace, "sail", str(workspace.folder), "--once", "--quiet", *catalog)
    assert synced.returncode == 0, synced.stderr
    return catalog


async def _record(workspace: Workspace) -> dict[str, Any] | None:
    """The integration's record in the workspace's catalog."""
    store = await open_store(str(workspace.catalog))
    try:
        return await store.get_integration("my-integration-integration")
    finally:
        await store.close()


def _edit_blueprints(workspace: Workspace, edit: Any) -> None:
    path = workspace.folder / ".port/resources/blueprints.json"
    blueprints = json.loads(path.read_text())
    edit({bp["identifier"]: bp for bp in blueprints})
    path.write_text(json.dumps(blueprints))


async def _blueprints(workspace: Workspace) -> dict[str, dict[str, Any]]:
    store = await open_store(str(workspace.catalog))
    try:
        return {bp["identifier"]: bp for bp in await store.list_blueprints()}
    finally:
        await store.close()


def _safe_and_unsafe(blueprints: dict[str, dict[str, Any]]) -> None:
    service = blueprints["service"]
    service["title"] = "Services"
    service["schema"]["properties"]["lang"] = {"type": "string", "title": "Language"}
    service["schema"]["properties"]["stars"] = {"type": "string"}


async def test_a_sail_applies_safe_edits_and_reports_unsafe_ones_with_the_command(
    workspace: Workspace,
) -> None:
    workspace.set_data(services=[services(2)], teams=TEAMS)
    first = await workspace.sail()
    assert (first.created_blueprints, first.blueprint_notes) == (["team", "service"], [])
    _edit_blueprints(workspace, _safe_and_unsafe)

    report = await workspace.sail()

    service = (await _blueprints(workspace))["service"]
    assert service["title"] == "Services"
    assert service["schema"]["properties"]["lang"] == {"type": "string", "title": "Language"}
    assert service["schema"]["properties"]["stars"] == {"type": "number"}  # kept: 2 entities
    (note,) = report.blueprint_notes
    assert "'service': property 'stars' type changes from 'number' to 'string'" in note
    assert f"ocean defaults dock {workspace.folder} --force" in note
    assert report.status == "completed"


async def test_an_unchanged_folder_changes_no_blueprint(workspace: Workspace) -> None:
    workspace.set_data(services=[services(1)], teams=TEAMS)
    await workspace.sail()
    before = await _blueprints(workspace)

    report = await workspace.sail()

    assert (report.created_blueprints, report.blueprint_notes) == ([], [])
    assert await _blueprints(workspace) == before


def test_sail_warns_and_dock_force_applies_what_sail_left_out(workspace: Workspace) -> None:
    workspace.set_data(services=[services(2)], teams=TEAMS)
    catalog = ["--catalog", str(workspace.catalog)]
    assert (
        _ocean(workspace, "sail", str(workspace.folder), "--once", "--quiet", *catalog).returncode
        == 0
    )
    _edit_blueprints(workspace, _safe_and_unsafe)

    sailed = _ocean(workspace, "sail", str(workspace.folder), "--once", "--quiet", *catalog)
    docked = _ocean(workspace, "defaults", "dock", str(workspace.folder), *catalog, "--force")

    assert sailed.returncode == 0
    assert "property 'stars' type changes" in sailed.stderr
    assert (
        f"ocean defaults dock {workspace.folder} --catalog {workspace.catalog} --force"
        in sailed.stderr
    )
    assert docked.returncode == 0, docked.stderr
    assert "updated blueprint 'service': property 'stars' type changes" in docked.stdout
    service = asyncio.run(_blueprints(workspace))["service"]
    assert service["schema"]["properties"]["stars"] == {"type": "string"}


def test_dock_creates_the_blueprints_and_keeps_the_mapping(workspace: Workspace) -> None:
    docked = _ocean(
        workspace, "defaults", "dock", str(workspace.folder), "--catalog", str(workspace.catalog)
    )

    assert docked.returncode == 0, docked.stderr
    assert "created blueprint 'team'" in docked.stdout
    assert set(asyncio.run(_blueprints(workspace))) == {"team", "service"}

    kept = asyncio.run(_record(workspace))
    assert kept is not None
    assert [r["kind"] for r in kept["config"]["resources"]] == ["team", "service"]


@pytest.mark.parametrize(
    ("flags", "answer", "code", "left"),
    [
        pytest.param([], "n\n", 1, {"team", "service"}, id="declined"),
        pytest.param([], "y\n", 0, set(), id="confirmed"),
        pytest.param(["--force"], None, 0, set(), id="forced"),
    ],
)
def test_clean_removes_the_blueprints_with_their_entities_once_confirmed(
    workspace: Workspace, flags: list[str], answer: str | None, code: int, left: set[str]
) -> None:
    catalog = _synced_once(workspace)

    cleaned = _ocean(
        workspace, "defaults", "clean", str(workspace.folder), *catalog, *flags, stdin=answer
    )

    assert cleaned.returncode == code, cleaned.stderr
    assert set(asyncio.run(_blueprints(workspace))) == left
    assert len(asyncio.run(workspace.entities())) == (5 if left else 0)
    if answer is not None:
        assert "Delete the blueprints team, service and their 5 entities?" in cleaned.stderr
    if not left:
        assert "deleted 2 blueprints and 5 entities" in cleaned.stdout


async def _add_other_integrations_deployments(workspace: Workspace) -> None:
    """Another integration's blueprint relating to this one's ``team``, with entities."""
    from ocean.store.base import Owner

    store = await open_store(str(workspace.catalog))
    try:
        relation = {"target": "team", "many": False, "required": False}
        await store.create_blueprints(
            [
                {
                    "identifier": "deployment",
                    "title": "Deployment",
                    "schema": {"properties": {}},
                    "relations": {"team": relation},
                }
            ]  # fmt: skip
        )
        await store.upsert_entities(
            [
                {
                    "identifier": f"dep-{i}",
                    "blueprint": "deployment",
                    "title": f"Dep {i}",
                    "relations": {"team": team["id"]},
                }
                for i, team in enumerate(TEAMS)
            ],  # fmt: skip
            owner=Owner("other", "other-int", "1"),
            merge=False,
        )
    finally:
        await store.close()


@pytest.mark.parametrize(
    ("flags", "code", "left", "said"),
    [
        pytest.param(
            ["--force"], 2, {"team", "service", "deployment"},
            "other blueprints relate to the integration's blueprints (deployment.team → team)",
            id="refused-forced",
        ),
        pytest.param(
            [], 2, {"team", "service", "deployment"}, "run again with --with-related",
            id="refused-asked",
        ),
        pytest.param(
            ["--with-related"], 0, set(),
            "Delete the blueprints team, service, and also the other blueprints deployment "
            "that relate to them (deployment.team → team), and their 7 entities?",
            id="taken-with-related",
        ),
    ],
)  # fmt: skip
def test_clean_deletes_nothing_while_another_integrations_blueprint_relates_to_it(
    workspace: Workspace, flags: list[str], code: int, left: set[str], said: str
) -> None:
    catalog = _synced_once(workspace)
    asyncio.run(_add_other_integrations_deployments(workspace))

    cleaned = _ocean(
        workspace, "defaults", "clean", str(workspace.folder), *catalog, *flags, stdin="y\n"
    )

    assert cleaned.returncode == code, cleaned.stderr
    assert said in cleaned.stderr
    assert "Traceback" not in cleaned.stderr
    assert set(asyncio.run(_blueprints(workspace))) == left
    assert len(asyncio.run(workspace.entities())) == (7 if left else 0)


async def test_clean_deletes_blueprints_whose_mirror_properties_follow_their_relations(
    store: Any,
) -> None:
    """The relations are cleared first (one may target another of them): a mirror
    property following one goes with them, as a blueprint cannot keep it without it."""
    from ocean.defaults import clean, plan_clean, sync_blueprints
    from ocean.store.base import Owner

    blueprints = [
        {
            "identifier": "service",
            "title": "Service",
            "schema": {"properties": {}},
            "relations": {"team": {"target": "team", "many": False}},
            "mirrorProperties": {"team_name": {"title": "Team", "path": "team.$title"}},
        },
        {"identifier": "team", "title": "Team", "schema": {"properties": {}}},
    ]
    await sync_blueprints(store, blueprints)
    entities = [
        {"identifier": "core", "blueprint": "team", "title": "Core"},
        {
            "identifier": "api",
            "blueprint": "service",
            "title": "API",
            "relations": {"team": "core"},
        },
    ]
    await store.upsert_entities(entities, owner=Owner("it", "it-1", "1"), merge=False)

    cleaned = await clean(store, await plan_clean(store, blueprints))

    assert (sorted(cleaned.blueprints), cleaned.entities) == (["service", "team"], 2)
    assert await store.list_blueprints() == []


async def test_a_property_becoming_a_calculation_over_entities_is_reported_not_a_failed_start(
    store: Any,
) -> None:
    """A folder turning a stored property into a calculation property of the same name:
    the property's removal is unsafe over entities, so the calculation waits with it,
    reported with the command, and ``--force`` applies both."""
    from ocean.defaults import sync_blueprints
    from ocean.store.base import Owner

    before = {"identifier": "service", "title": "Service",
              "schema": {"properties": {"lang": {"type": "string"}}}}  # fmt: skip
    await sync_blueprints(store, [before])
    entity = {"identifier": "api", "blueprint": "service", "title": "API",
              "properties": {"lang": "go"}}  # fmt: skip
    await store.upsert_entities([entity], owner=Owner("it", "it-1", "1"), merge=False)
    calculation = {"title": "Language", "calculation": '"go"', "type": "string"}
    after = {**before, "schema": {"properties": {}}, "calculationProperties": {"lang": calculation}}

    sync = await sync_blueprints(store, [after])
    forced = await sync_blueprints(store, [after], force=True)

    assert sync.unsafe == ["'service': property 'lang' removed (its values with it)",
                           "'service': property 'lang' becomes a calculation property"]  # fmt: skip
    assert forced.applied and not forced.unsafe
    (stored,) = await store.list_blueprints()
    assert (stored["schema"]["properties"], stored["calculationProperties"]) == (
        {}, {"lang": calculation},
    )  # fmt: skip


async def test_a_start_creates_the_actions_of_actions_json_the_catalog_lacks(
    workspace: Workspace, catalog: str
) -> None:
    """The embedded catalog takes the folder's actions (``.port/resources/actions.json``):
    those missing are created at each start; one the catalog has (edited since) is left
    as it is, and one it refuses is logged while the others are made."""
    from ocean.actions.open import actions_of

    workspace.set_data(services=[services(1)], teams=TEAMS)
    actions = [{"identifier": "restart", "title": "Restart"},
               {"identifier": " ", "title": "refused: an empty identifier"},
               {"title": "refused: no identifier"},
               {"identifier": "page_me", "title": "Page me"}]  # fmt: skip
    (workspace.folder / ".port" / "resources" / "actions.json").write_text(json.dumps(actions))
    await workspace.sail(catalog)
    store = await open_store(catalog)
    try:
        await actions_of(store).save_action({"identifier": "restart", "title": "Edited"},
                                            replace=True)  # fmt: skip
        await actions_of(store).delete_action("page_me")
    finally:
        await store.close()

    await workspace.sail(catalog)

    store = await open_store(catalog)
    try:
        stored = {a["identifier"]: a["title"] for a in await actions_of(store).list_actions()}
    finally:
        await store.close()
    assert stored == {"restart": "Edited", "page_me": "Page me"}


@pytest.mark.parametrize("flags", [["--destroy"], ["-d", "-w"]], ids=["destroy", "short-with-wait"])
def test_clean_with_destroy_deletes_the_integrations_record_too(
    workspace: Workspace, flags: list[str]
) -> None:
    """As the original's ``defaults clean --destroy`` (``--wait`` accepted: deletions are
    done when the command returns)."""
    catalog = _synced_once(workspace)
    docked = _ocean(workspace, "defaults", "dock", str(workspace.folder), *catalog)
    assert docked.returncode == 0, docked.stderr  # (the integration's record kept)

    cleaned = _ocean(
        workspace, "defaults", "clean", str(workspace.folder), *catalog, *flags, stdin="y\n"
    )

    assert cleaned.returncode == 0, cleaned.stderr
    assert (
        "and their 5 entities and the integration 'my-integration-integration'?" in cleaned.stderr
    )
    assert "deleted the integration 'my-integration-integration'" in cleaned.stdout
    assert set(asyncio.run(_blueprints(workspace))) == set()
    assert asyncio.run(_record(workspace)) is None


async def test_clean_with_destroy_deletes_the_integration_through_a_port_api(
    workspace: Workspace, tmp_path: Any
) -> None:
    """A Port API (Ocean's catalog server reached as one) lacking the integration's
    blueprints: ``--destroy`` deletes its record with ``DELETE /v1/integration/{id}``.
    (It failed: the empty clean refused a catalog that cannot delete blueprints.)"""
    from tests.server.serving import fresh_catalog, served_as_admin

    async with fresh_catalog("sqlite", tmp_path / "served") as catalog:
        client_id, secret = await catalog.create_credentials("cli")
        async with served_as_admin(catalog) as (base, admin):
            record = {"installationId": "my-integration-integration"}
            assert (await admin.post("/v1/integration", json=record)).is_success
            command = [sys.executable, "-m", "ocean", "defaults", "clean",
                       str(workspace.folder), "--catalog", base, "--destroy", "--force"]  # fmt: skip
            env = os.environ | workspace.environ | {
                "OCEAN__PORT__CLIENT_ID": client_id, "OCEAN__PORT__CLIENT_SECRET": secret,
            }  # fmt: skip
            process = await asyncio.create_subprocess_exec(
                *command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
            )
            out, err = await asyncio.wait_for(process.communicate(), 120)
            left = await catalog.get_integration("my-integration-integration")  # type: ignore[attr-defined]

    assert process.returncode == 0, err.decode()
    assert "deleted the integration 'my-integration-integration'" in out.decode()
    assert left is None


async def test_an_action_another_replica_creates_meanwhile_is_not_a_warning(
    store: Any, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """Replicas starting at once on one catalog: an action made by another between the
    listing and the creation exists, as wanted (it was logged as not created)."""
    from ocean.actions.open import actions_of
    from ocean.defaults import add_actions

    catalog = actions_of(store)
    await catalog.save_action({"identifier": "restart", "title": "Restart"}, replace=False)

    async def listed_before_it(self: Any) -> list[dict[str, Any]]:
        return []

    monkeypatch.setattr(type(catalog), "list_actions", listed_before_it)
    created = await add_actions(store, [{"identifier": "restart", "title": "Restart"}])

    assert created == []
    assert "was not created" not in caplog.text


def _relating_to_another_integrations(blueprints: dict[str, dict[str, Any]]) -> None:
    service = blueprints["service"]
    service["relations"]["repo"] = {"target": "githubRepo", "many": False, "required": False}
    service["mirrorProperties"] = {"repoUrl": {"path": "repo.url"}}
    service["aggregationProperties"] = {
        "repos": {
            "target": "githubRepo",
            "calculationSpec": {"func": "count", "calculationBy": "entities"},
        }
    }


async def test_a_relation_to_a_blueprint_no_one_has_made_yet_is_left_out_until_it_exists(
    workspace: Workspace, caplog: pytest.LogCaptureFixture
) -> None:
    """As GitHub Copilot's relation to the GitHub integration's githubTeam: the blueprint
    is made without it (and what reads through it), and the start after the target
    blueprint appears adds it."""
    workspace.set_data(services=[services(2)], teams=TEAMS)
    _edit_blueprints(workspace, _relating_to_another_integrations)

    first = await workspace.sail()

    assert first.created_blueprints == ["team", "service"]
    assert "left out relation 'repo', aggregation property 'repos'" in caplog.text
    assert "no blueprint githubRepo" in caplog.text
    service = (await _blueprints(workspace))["service"]
    assert set(service["relations"]) == {"team"}
    assert not service.get("mirrorProperties") and not service.get("aggregationProperties")
    assert len(await workspace.entities("service")) == 2

    store = await open_store(str(workspace.catalog))
    try:
        await store.create_blueprints([{"identifier": "githubRepo", "title": "Repo",
                                        "schema": {"properties": {"url": {"type": "string"}}}}])  # fmt: skip
    finally:
        await store.close()
    await workspace.sail()

    service = (await _blueprints(workspace))["service"]
    assert set(service["relations"]) == {"team", "repo"}
    assert set(service["mirrorProperties"]) == {"repoUrl"}
    assert set(service["aggregationProperties"]) == {"repos"}


@pytest.mark.parametrize(
    ("odd", "said"),
    [
        ({"relations": [{"target": "team"}]}, "relations must be an object"),
        ({"relations": [["repo", {"target": "githubRepo"}]]}, "relations must be an object"),
        ({"relations": "team"}, "relations must be an object"),
        ({"relations": {"repo": {"target": ["githubRepo"]}}}, "needs a target blueprint"),
        ({"relations": {"repo": {"many": False}}}, "needs a target blueprint"),
        ({"aggregationProperties": [{"target": "githubRepo"}]}, "must be an object"),
        ({"aggregationProperties": {"n": {"target": {"x": 1}}}}, "needs a target"),
        (
            {"relations": {"repo": {"target": "githubRepo"}}, "mirrorProperties": [1]},
            "mirrorProperties must be an object",
        ),
        (
            {"identifier": ["service"], "relations": {"repo": {"target": "githubRepo"}}},
            "must be a non-empty string",
        ),
    ],
)
async def test_a_malformed_blueprint_is_refused_as_the_catalog_says_not_a_crash(
    store: Any, odd: dict[str, Any], said: str
) -> None:
    """Relations or aggregations given as lists or text, a target that is not a name:
    looking for targets another integration has not made yet passes over them, and the
    catalog's refusal says what is wrong (rather than a ValueError or TypeError)."""
    from ocean.defaults import sync_blueprints
    from ocean.errors import StoreError

    blueprint = {"identifier": "service", "title": "Service", "schema": {"properties": {}}}

    with pytest.raises(StoreError, match=said):
        await sync_blueprints(store, [blueprint | odd])
