"""The web UI's answers to values a store cannot take (NUL, a huge offset) and to a
catalog that cannot be reached: pages with a status, never a plain-text 500."""

from __future__ import annotations

import os
import signal
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from ocean.server.app import create_app
from ocean.store.base import Owner, Store
from ocean.store.sqlite.process import CatalogProcess
from ocean.store.sqlite.store import SQLiteStore
from tests.server.serving import fresh_catalog, signed_in_to_ui

SVC = {"identifier": "svc", "title": "Svc", "schema": {"properties": {"n": {"type": "number"}}}}


@pytest.fixture(params=["sqlite", "postgresql"])
async def ui(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    async with fresh_catalog(request.param, tmp_path) as catalog:
        store: Store = catalog  # type: ignore[assignment]
        await store.create_blueprints([SVC])
        entities = [
            {"identifier": f"e{i}", "blueprint": "svc", "title": f"E {i}"} for i in range(3)
        ]
        await store.upsert_entities(entities, owner=Owner("fake", "f", "1"), merge=False)  # type: ignore[arg-type]
        transport = httpx.ASGITransport(app=create_app(store))
        async with httpx.AsyncClient(transport=transport, base_url="http://ui.test") as client:
            await signed_in_to_ui(client, store)
            yield client


@pytest.mark.parametrize(
    ("path", "params", "status", "says"),
    [
        ("/ui/entities/svc/a%00b", {}, 422, "NUL"),
        ("/ui/blueprints/svc/entities", {"q": "a\x00"}, 422, "NUL"),
        (
            "/ui/blueprints/svc/entities",
            {"p": "$title", "op": "contains", "v": "a\x00"},
            422,
            "NUL",
        ),
        ("/ui/blueprints/svc%00/entities", {}, 422, "NUL"),
        ("/ui/blueprints/svc/entities", {"offset": str(10**20)}, 200, "No entity matches"),
        ("/ui/blueprints/svc/entities", {"offset": "99999999999999999999999"}, 200, "No entity"),
        ("/ui/blueprints/svc/entities", {"offset": "-5"}, 200, "e2"),
    ],
)
async def test_values_a_store_cannot_take_get_a_page(
    ui: httpx.AsyncClient, path: str, params: dict[str, str], status: int, says: str
) -> None:
    answer = await ui.get(path, params=params)
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"].startswith("text/html") and says in answer.text


@pytest.mark.parametrize("path", ["/ui/", "/ui/blueprints/svc/entities", "/ui/integrations"])
async def test_a_catalog_that_cannot_be_reached_is_503_with_retry_after(
    tmp_path: Path, path: str
) -> None:
    process = await CatalogProcess.start(tmp_path / "c.db")
    store = SQLiteStore(process, tmp_path / "c.db")
    try:
        await store.create_blueprints([SVC])
        transport = httpx.ASGITransport(app=create_app(store))
        async with httpx.AsyncClient(transport=transport, base_url="http://ui.test") as client:
            await signed_in_to_ui(client, store)
            os.kill(process.pid, signal.SIGKILL)
            answer = await client.get(path)
    finally:
        await store.close()
    assert answer.status_code == 503 and answer.headers["retry-after"] == "5"
    assert "Catalog unavailable" in answer.text
