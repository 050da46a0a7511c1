"""Search identifiers and search relations (port-api.md §7.2) in a resync's mapping are
resolved against the embedded catalog (real resyncs into SQLite and PostgreSQL)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from ocean.listen.once import start
from ocean.sail import prepare
from ocean.store.open import open_store
from tests.conftest import Workspace, resource


def _query(property_name: str, operator: str, value: str) -> dict[str, Any]:
    rule = {"property": f'"{property_name}"', "operator": f'"{operator}"', "value": value}
    return {"combinator": '"and"', "rules": [rule]}


BLUEPRINTS = [
    {
        "identifier": "team",
        "title": "Team",
        "schema": {"properties": {"members": {"type": "array"}}},
    },
    {
        "identifier": "service",
        "title": "Service",
        "schema": {"properties": {"url": {"type": "string"}}},
        "relations": {
            "team": {"target": "team", "many": False, "required": False},
            "teams": {"target": "team", "many": True, "required": False},
        },
    },
]
TEAMS = [
    {"id": "core", "name": "Core", "members": ["ada", "bob", "shared"]},
    {"id": "edge", "name": "Edge", "members": ["cy", "shared"]},
]
SERVICES = [
    {"id": "svc-0", "name": "Zero", "owner": "ada"},
    {"id": "svc-1", "name": "One", "owner": "cy"},
    {"id": "svc-2", "name": "Two", "owner": "nobody"},
    {"id": "svc-3", "name": "Three", "owner": "shared"},
]


def _mapping() -> dict[str, Any]:
    team = resource("team", "team", properties={"members": ".members"})
    service = resource(
        "service",
        "service",
        relations={
            "team": _query("members", "contains", ".owner"),
            "teams": _query("members", "contains", ".owner"),
        },
    )
    return {"resources": [team, service]}


@pytest.fixture
def searching(workspace: Workspace) -> Workspace:
    """The workspace with :data:`BLUEPRINTS` and :func:`_mapping`'s search relations."""
    (workspace.folder / ".port" / "resources" / "blueprints.json").write_text(
        json.dumps(BLUEPRINTS)
    )
    workspace.set_mapping(_mapping())
    return workspace


async def test_a_resync_relates_entities_to_what_a_search_relation_finds(
    searching: Workspace, catalog: str
) -> None:
    searching.set_data(services=[SERVICES], teams=TEAMS)

    report = await searching.sail(catalog)

    stored = await searching.entities("service", catalog)
    assert {key: entity["relations"] for key, entity in stored.items()} == {
        "svc-0": {"team": "core", "teams": ["core"]},
        "svc-1": {"team": "edge", "teams": ["edge"]},
        "svc-2": {"team": None, "teams": []},
    }
    services = report.kinds[1]
    assert (services.created, services.failed) == (3, 1)
    assert "relation 'team'" in services.errors[0]
    assert "matched 2 entities ('core', 'edge')" in services.errors[0]


async def test_a_resync_updates_the_entity_its_search_identifier_finds(
    searching: Workspace, catalog: str
) -> None:
    titled = resource("broken", "service", properties={"url": ".url"})
    titled["port"]["entity"]["mappings"]["identifier"] = _query("$title", "=", ".name")
    mapping = _mapping()
    searching.set_mapping({"resources": [*mapping["resources"], titled]})
    urls = [{"name": "One", "url": "https://one"}, {"name": "Nothing", "url": "https://x"}]
    searching.set_data(services=[SERVICES], teams=TEAMS, broken=urls)

    report = await searching.sail(catalog)

    stored = await searching.entities("service", catalog)
    assert stored["svc-1"]["properties"]["url"] == "https://one"
    assert "Nothing" not in {entity["title"] for entity in stored.values()}
    assert (report.kinds[2].updated, report.kinds[2].unchanged, report.kinds[2].failed) == (1, 1, 0)


async def test_an_entity_registered_live_is_related_by_its_search_relation(
    searching: Workspace, catalog: str
) -> None:
    searching.set_data(services=[[]], teams=TEAMS)
    await searching.sail(catalog)
    sail = prepare(searching.folder, environ=searching.environ, overrides={})
    store = await open_store(catalog)
    try:
        await start(sail, store)
        await sail.folder.integration.register_raw("service", [{"id": "svc-9", "owner": "cy"}])
    finally:
        await store.close()

    stored = await searching.entities("service", catalog)
    assert stored["svc-9"]["relations"] == {"team": "edge", "teams": ["edge"]}


async def test_a_search_relation_finds_what_came_since_though_its_page_is_unchanged(
    searching: Workspace, catalog: str
) -> None:
    searching.set_data(services=[SERVICES[:1]], teams=[])
    await searching.sail(catalog)
    searching.set_data(services=[SERVICES[:1]], teams=TEAMS)

    report = await searching.sail(catalog)

    stored = await searching.entities("service", catalog)
    assert stored["svc-0"]["relations"] == {"team": "core", "teams": ["core"]}
    assert report.kinds[1].unchanged_pages == 0


async def test_a_search_relation_the_blueprint_does_not_define_is_dropped_as_another_field(
    searching: Workspace, catalog: str
) -> None:
    mapping = _mapping()
    mapping["resources"][1]["port"]["entity"]["mappings"]["relations"] = {
        "lead": _query("members", "contains", ".owner")
    }
    searching.set_mapping(mapping)
    searching.set_data(services=[SERVICES[:1]], teams=TEAMS)

    report = await searching.sail(catalog)

    services = report.kinds[1]
    assert (services.created, services.failed) == (1, 0), services.errors
    assert services.undefined == ["relations.lead (service)"]
    assert "lead" not in (await searching.entities("service", catalog))["svc-0"]["relations"]
