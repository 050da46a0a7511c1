"""``api``: an admin client of the catalog server on a loopback port, over a fresh SQLite
or PostgreSQL catalog holding teams and the services that relate to them."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from tests.server.serving import fresh_catalog, seed, served_as_admin

TEAM = {"identifier": "team", "title": "Team", "schema": {"properties": {}}}
SERVICE = {
    "identifier": "service",
    "title": "Service",
    "schema": {"properties": {"stars": {"type": "number"}, "url": {"type": "string"}}},
    "relations": {
        "owner": {"target": "team", "many": False, "required": True},
        "helpers": {"target": "team", "many": True, "required": False},
    },
}
ENTITIES = {
    "team": [{"identifier": "core", "title": "Core"}, {"identifier": "ops", "title": "Ops"}],
    "service": [
        {
            "identifier": "api",
            "title": "API",
            "properties": {"stars": 5, "url": "https://api"},
            "relations": {"owner": "core", "helpers": ["ops"]},
        },
        {"identifier": "web", "title": "Web", "relations": {"owner": "core"}},
    ],
}
"""``web`` has no ``stars`` and no ``url``: a rule comparing them with nothing matches it."""


@pytest.fixture(params=["sqlite", "postgresql"])
async def api(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    async with fresh_catalog(request.param, tmp_path) as store:
        async with served_as_admin(store) as (_, client):
            await seed(client, [TEAM, SERVICE], ENTITIES)
            yield client
