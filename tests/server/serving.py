"""What a catalog-server test stands on: a fresh catalog (a SQLite file, or a new
PostgreSQL schema dropped afterwards), the server on a loopback port, and a client signed
in to it."""

from __future__ import annotations

import contextlib
import re
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import asyncpg
import httpx

from ocean.server.app import create_app
from ocean.store.credentials import KeepsCredentials
from ocean.store.open import open_store
from tests import loopback
from tests.conftest import POSTGRES_URL


@contextlib.asynccontextmanager
async def fresh_catalog(backend: str, folder: Path) -> AsyncIterator[KeepsCredentials]:
    """``backend`` ("sqlite" or "postgresql"): the catalog, closed (and its schema dropped)
    after."""
    schema = f"test_{uuid.uuid4().hex[:12]}"
    postgres = backend == "postgresql"
    store = await open_store(
        f"{POSTGRES_URL}?schema={schema}" if postgres else str(folder / "c.db")
    )
    assert isinstance(store, KeepsCredentials)
    try:
        yield store
    finally:
        await store.close()  # type: ignore[attr-defined]
        if postgres:
            connection = await asyncpg.connect(POSTGRES_URL)
            await connection.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
            await connection.close()


async def sign_in(client: httpx.AsyncClient, client_id: str, secret: str) -> None:
    """Give ``client`` the token of that credential."""
    body = {"clientId": client_id, "clientSecret": secret}
    token = (await client.post("/v1/auth/access_token", json=body)).json()["accessToken"]
    client.headers["Authorization"] = f"Bearer {token}"


async def signed_in_to_ui(client: httpx.AsyncClient, store: KeepsCredentials) -> None:
    """Sign ``client`` in to the web catalog with a new admin credential (its form's CSRF)."""
    client_id, secret = await store.create_credentials("ui", role="admin")  # type: ignore[call-arg]
    form = (await client.get("/ui/login")).text
    csrf = re.search(r'name="csrf" value="([^"]+)"', form)
    assert csrf
    data = {"csrf": csrf.group(1), "client_id": client_id, "client_secret": secret}
    assert (await client.post("/ui/login", data=data)).status_code == 303


@contextlib.asynccontextmanager
async def served_as_admin(store: KeepsCredentials) -> AsyncIterator[tuple[str, httpx.AsyncClient]]:
    """The catalog server over ``store`` on a loopback port: its base URL, and a client
    signed in with a new admin credential."""
    client_id, secret = await store.create_credentials("tests")
    async with (
        loopback.served(create_app(store)) as base,
        httpx.AsyncClient(base_url=base) as admin,
    ):
        await sign_in(admin, client_id, secret)
        yield base, admin


async def seed(
    client: httpx.AsyncClient,
    blueprints: list[dict[str, Any]],
    entities: dict[str, list[dict[str, Any]]],
) -> None:
    """Create ``blueprints``, then upsert ``entities`` (by blueprint) through the API."""
    for blueprint in blueprints:
        answer = await client.post("/v1/blueprints", json=blueprint)
        assert answer.status_code == 201, answer.text
    for name, bodies in entities.items():
        written = await client.post(
            f"/v1/blueprints/{name}/entities/bulk?upsert=true", json={"entities": bodies}
        )
        assert written.status_code == 200, written.text
