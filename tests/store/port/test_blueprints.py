"""Blueprints created through a Port API in the original's stages, against Ocean's own
catalog server (SQLite and PostgreSQL) over loopback: a folder whose blueprints relate
to themselves, to one defined later, and have mirror, calculation and aggregation
properties following those relations is made whole."""

from __future__ import annotations

from pathlib import Path

import pytest

from ocean.store.open import open_store
from ocean.store.port.store import PortAPIStore
from tests.server.serving import fresh_catalog, served_as_admin

SERVICE = {
    "identifier": "service",
    "title": "Service",
    "schema": {"properties": {"name": {"type": "string"}}},
    "relations": {
        "team": {"title": "Team", "target": "team", "many": False},
        "parent": {"title": "Parent", "target": "service", "many": False},
    },
    "mirrorProperties": {"team_name": {"title": "Team name", "path": "team.$title"}},
    "calculationProperties": {
        "shout": {"title": "Shout", "calculation": ".title | ascii_upcase", "type": "string"}
    },
    "ownership": {"type": "Inherited", "path": "team"},
}
TEAM = {
    "identifier": "team",
    "title": "Team",
    "schema": {"properties": {"size": {"type": "number"}}},
    "aggregationProperties": {
        "services": {
            "title": "Services",
            "target": "service",
            "calculationSpec": {"func": "count", "calculationBy": "entities"},
        }
    },
}


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
async def test_blueprints_relating_forward_to_themselves_and_through_computed_properties_are_made_whole(
    backend: str, tmp_path: Path
) -> None:
    async with fresh_catalog(backend, tmp_path) as catalog:
        client_id, secret = await catalog.create_credentials("integration")
        async with served_as_admin(catalog) as (base, _):
            port = await open_store(base, credentials=(client_id, secret))
            assert isinstance(port, PortAPIStore)
            try:
                made = await port.create_blueprints([SERVICE, TEAM])
                stored = {bp["identifier"]: bp for bp in await port.list_blueprints()}
            finally:
                await port.close()

    assert made == ["service", "team"]
    for wanted in (SERVICE, TEAM):
        got = stored[str(wanted["identifier"])]
        assert {key: got.get(key) for key in wanted} == wanted
