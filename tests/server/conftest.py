"""``api``: an admin client of the catalog server on a loopback port, over a fresh SQLite
or PostgreSQL catalog holding teams and the services that relate to them."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import httpx
import pytest
import uvicorn

from ocean.server.app import create_app
from ocean.store.credentials import KeepsCredentials
from ocean.store.open import open_store
from tests.conftest import POSTGRES_URL
from tests.loopback import free_port

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
    schema = f"test_{uuid.uuid4().hex[:12]}"
    postgres = request.param == "postgresql"
    store = await open_store(
        f"{POSTGRES_URL}?schema={schema}" if postgres else str(tmp_path / "c.db")
    )
    assert isinstance(store, KeepsCredentials)
    client_id, secret = await store.create_credentials("tests")
    port = free_port()
    config = uvicorn.Config(create_app(store), host="127.0.0.1", port=port, log_level="warning")
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.01)
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
        body = {"clientId": client_id, "clientSecret": secret}
        token = (await client.post("/v1/auth/access_token", json=body)).json()["accessToken"]
        client.headers["Authorization"] = f"Bearer {token}"
        for blueprint in (TEAM, SERVICE):
            assert (await client.post("/v1/blueprints", json=blueprint)).status_code == 201
        for blueprint, entities in ENTITIES.items():
            written = await client.post(
                f"/v1/blueprints/{blueprint}/entities/bulk?upsert=true", json={"entities": entities}
            )
            assert written.status_code == 200, written.text
        yield client
    server.should_exit = True
    await task
    await store.close()
    if postgres:
        connection = await asyncpg.connect(POSTGRES_URL)
        await connection.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        await connection.close()
