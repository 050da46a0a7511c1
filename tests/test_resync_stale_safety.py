"""Stale deletion never takes an entity the resync produced, whatever the catalog and
however the entity's key was mapped (real resyncs)."""

from __future__ import annotations

from typing import Any

from ocean.job import SilentObserver
from ocean.listen.once import run_once
from ocean.monitor.report import ResyncReport
from ocean.sail import prepare
from ocean.server.app import create_app
from ocean.store.port.store import PortAPIStore
from tests import loopback
from tests.conftest import DEFAULT_MAPPING, TEAMS, Workspace, resource, services
from tests.server.serving import fresh_catalog


def _services_found_by_title() -> dict[str, Any]:
    """The service kind's identifier a search on the title: the same entities, found by
    what the earlier mapping made of them."""
    by_title = {
        "combinator": '"and"',
        "rules": [{"property": '"$title"', "operator": '"="', "value": ".name"}],
    }
    service = resource(
        "service",
        "service",
        identifier=by_title,
        properties={"url": ".url", "stars": ".stars"},
        relations={"team": ".team"},
    )
    return {"resources": [DEFAULT_MAPPING["resources"][0], service]}


async def _sail_into_port_api(workspace: Workspace, catalog: Any, base: str) -> ResyncReport:
    client_id, secret = await catalog.create_credentials("port api")
    store = PortAPIStore.connect(base, client_id, secret)
    prepared = prepare(workspace.folder, environ=workspace.environ, overrides={})
    try:
        return await run_once(prepared, store, SilentObserver())
    finally:
        await store.close()


async def _set_mapping(catalog: Any, mapping: dict[str, Any]) -> None:
    """Change the mapping the API keeps for the integration (as in Port's UI)."""
    (identifier,) = await catalog.run_integrations()
    record = await catalog.get_integration(identifier)
    await catalog.save_integration(identifier, record | {"config": mapping})


async def test_against_a_port_api_an_entity_a_search_identifier_left_unchanged_is_kept(
    workspace: Workspace,
) -> None:
    workspace.set_data(services=[services(3)], teams=TEAMS)
    async with fresh_catalog("sqlite", workspace.root) as catalog:
        async with loopback.served(create_app(catalog)) as base:
            first = await _sail_into_port_api(workspace, catalog, base)
            assert (first.status, first.total("created")) == ("completed", 5)
            await _set_mapping(catalog, _services_found_by_title())

            rerun = await _sail_into_port_api(workspace, catalog, base)

        stored = {e["identifier"] async for e in catalog.iter_entities("service")}
    assert rerun.status == "completed", rerun.errors
    assert rerun.kinds[1].unchanged == 3  # each found, and left as it was
    assert (rerun.deleted, rerun.deletion_notes) == (0, [])
    assert stored == {"svc-0", "svc-1", "svc-2"}


async def test_an_entity_a_search_identifier_left_unchanged_is_kept(
    workspace: Workspace, catalog: str
) -> None:
    workspace.set_data(services=[services(3)], teams=TEAMS)
    await workspace.sail(catalog)
    workspace.set_mapping(_services_found_by_title())

    rerun = await workspace.sail(catalog)

    assert rerun.status == "completed", rerun.errors
    assert (rerun.deleted, rerun.deletion_notes) == (0, [])
    assert sorted(await workspace.entities("service", catalog)) == ["svc-0", "svc-1", "svc-2"]
