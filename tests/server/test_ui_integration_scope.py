"""The web UI keeps an integration credential to its own integration, as the API does
(``/v1/integration/{id}...`` of another integration answers 403): another integration's
resync history and live-event dead letters are not its to read."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from ocean.server.app import create_app
from ocean.store.base import RunRecord
from ocean.store.sqlite.store import SQLiteStore
from tests import loopback
from tests.server.test_ui_http import sign_in
from tests.server.ui_catalog import seed


@pytest.fixture
async def other(tmp_path: Path) -> AsyncIterator[tuple[httpx.AsyncClient, str]]:
    """A browser signed in with the credential of the integration ``other`` (the catalog's
    seeded runs and dead letters are ``fake-ui``'s), and that credential's API token."""
    store = await SQLiteStore.open(tmp_path / "catalog.db")
    credentials = await seed(store, tmp_path)
    await store.record_run(
        RunRecord("other", "manual", "2026-01-02T00:00:00Z", None, "completed", {})
    )
    mine = await store.create_credentials("other-int", role="integration", integration="other")
    app = create_app(store, queue_of=lambda _: credentials.queue)
    async with loopback.served(app) as base, httpx.AsyncClient(base_url=base) as client:
        await sign_in(client, mine)
        body = {"clientId": mine[0], "clientSecret": mine[1]}
        token = (await client.post("/v1/auth/access_token", json=body)).json()["accessToken"]
        yield client, token
    await store.close()


async def test_an_integration_cannot_read_another_integration_s_page_in_the_ui(
    other: tuple[httpx.AsyncClient, str],
) -> None:
    client, token = other
    api = await client.get("/v1/integration/fake-ui", headers={"Authorization": f"Bearer {token}"})
    assert api.status_code == 403  # the API's rule, which the UI must keep too
    page = await client.get("/ui/integrations/fake-ui")
    assert page.status_code == 403, page.status_code
    assert "GitHub answered 502" not in page.text and "mapping failed" not in page.text
    assert "/webhook" not in page.text and "catalog.events.db" not in page.text
    own = await client.get("/ui/integrations/other")
    assert own.status_code == 200 and "completed" in own.text


async def test_an_integration_lists_only_its_own_integration_in_the_ui(
    other: tuple[httpx.AsyncClient, str],
) -> None:
    client, _ = other
    index = await client.get("/ui/integrations")
    assert index.status_code == 200
    assert "/ui/integrations/other" in index.text
    assert "fake-ui" not in index.text
