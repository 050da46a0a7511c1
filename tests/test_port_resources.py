"""The first setup in a Port API (:mod:`ocean.port_resources`), against Ocean's own
catalog server over loopback (SQLite and PostgreSQL)."""

from __future__ import annotations

from pathlib import Path

import pytest

from ocean.port_resources import SetsUpResources, set_up
from ocean.store.open import open_store
from ocean.store.port.blueprints import bare
from tests.server.serving import fresh_catalog, served_as_admin
from tests.store.port.test_blueprints import SERVICE, TEAM


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
async def test_blueprints_a_stopped_setup_made_bare_get_their_relations_and_computed_properties(
    backend: str, tmp_path: Path
) -> None:
    """A start stopped after making the blueprints bare (relations, ownership and
    computed properties come after) is completed by the next, before it is marked done."""
    async with fresh_catalog(backend, tmp_path) as catalog:
        client_id, secret = await catalog.create_credentials("integration")
        async with served_as_admin(catalog) as (base, admin):
            for blueprint in (SERVICE, TEAM):
                assert (await admin.post("/v1/blueprints", json=bare(blueprint))).status_code == 201
            assert (await admin.post("/v1/integration", json={"installationId": "x"})).is_success
            port = await open_store(base, credentials=(client_id, secret))
            assert isinstance(port, SetsUpResources)
            try:
                created = await set_up(port, "x", {"config": {"resources": []}}, [SERVICE, TEAM],
                                       {"resources": []}, enabled=True)  # fmt: skip
                stored = {bp["identifier"]: bp for bp in await port.list_blueprints()}
                record = await port.get_integration("x")
            finally:
                await port.close()  # type: ignore[attr-defined]

    assert created == []
    for wanted in (SERVICE, TEAM):
        got = stored[str(wanted["identifier"])]
        assert {key: got.get(key) for key in wanted} == wanted
    assert record is not None and record["arePortResourcesInitialized"] is True


async def test_actions_and_pages_without_an_identifier_are_posted_as_the_originals() -> None:
    """The original posts them as they are (Port makes a page's identifier up, refuses
    such an action: logged); the setup does not fail on them."""
    from typing import Any

    from ocean.port_resources import create_extras
    from ocean.resource_files import ExtraResources

    posted: list[tuple[str, dict[str, Any]]] = []

    class Port:
        async def create_resource(self, path: str, body: dict[str, Any]) -> bool:
            posted.append((path, body))
            return True

    extras = ExtraResources(actions=[{"title": "A"}], pages=[{"title": "P"}])
    await create_extras(Port(), extras)  # type: ignore[arg-type]

    assert posted == [("/actions", {"title": "A"}), ("/pages", {"title": "P"})]
