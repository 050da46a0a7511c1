"""The web UI over HTTP (httpx against the app): sign-in, sessions, CSRF, read-only
refusals, and the pages' content."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

import ocean.server.ui.runs as ui_runs
from ocean.live.open import open_queue
from ocean.server.app import create_app
from ocean.store.sqlite.store import SQLiteStore
from tests.server.ui_catalog import Credentials, seed


@dataclass
class Served:
    client: httpx.AsyncClient
    credentials: Credentials
    store: SQLiteStore


@pytest.fixture
async def served(tmp_path: Path) -> AsyncIterator[Served]:
    store = await SQLiteStore.open(tmp_path / "catalog.db")
    credentials = await seed(store, tmp_path)
    app = create_app(store, queue_of=lambda _: credentials.queue)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://ui.test") as client:
        yield Served(client, credentials, store)
    await store.close()


def _csrf(page: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', page)
    assert found, page
    return found.group(1)


async def sign_in(client: httpx.AsyncClient, credential: tuple[str, str]) -> str:
    form = await client.get("/ui/login")
    answer = await client.post(
        "/ui/login",
        data={"csrf": _csrf(form.text), "client_id": credential[0],
              "client_secret": credential[1], "next": "/ui/"},
    )  # fmt: skip
    assert answer.status_code == 303, answer.text
    home = await client.get("/ui/")
    assert home.status_code == 200
    return _csrf(home.text)


async def test_pages_need_a_session_and_the_api_keeps_its_tokens(served: Served) -> None:
    assert (await served.client.get("/")).headers["location"] == "/ui/"
    answer = await served.client.get("/ui/blueprints/service")
    assert answer.status_code == 303 and answer.headers["location"].startswith("/ui/login")
    assert (await served.client.get("/v1/blueprints")).status_code == 401  # the API: JSON 401


async def test_sign_in_sets_a_safe_cookie_and_refuses_a_wrong_secret(served: Served) -> None:
    form = await served.client.get("/ui/login")
    cookie = form.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie
    wrong = await served.client.post(
        "/ui/login",
        data={"csrf": _csrf(form.text), "client_id": served.credentials.admin[0],
              "client_secret": "nope"},
    )  # fmt: skip
    assert wrong.status_code == 401 and "wrong secret" in wrong.text
    await sign_in(served.client, served.credentials.admin)
    page = await served.client.get("/ui/")
    assert "Service" in page.text and "120" in page.text


async def test_a_forged_cookie_or_a_missing_csrf_token_is_refused(served: Served) -> None:
    await sign_in(served.client, served.credentials.admin)
    served.client.cookies.set("ocean_session", "forged.0000")
    assert (await served.client.get("/ui/")).status_code == 303
    fresh = httpx.AsyncClient(transport=served.client._transport, base_url="http://ui.test")
    async with fresh:
        await sign_in(fresh, served.credentials.admin)
        refused = await fresh.post("/ui/integrations/fake-ui/resync", data={"csrf": "guess"})
        assert refused.status_code == 403 and "CSRF" in refused.text
        login = await fresh.post("/ui/login", data={"client_id": "x", "client_secret": "y"})
        assert login.status_code == 403


async def test_read_only_sees_everything_and_changes_nothing(served: Served) -> None:
    csrf = await sign_in(served.client, served.credentials.reader)
    page = await served.client.get("/ui/integrations/fake-ui")
    assert page.status_code == 200 and "mapping failed" in page.text
    assert "Resync now" not in page.text and ">Retry<" not in page.text
    for action in ("resync", "retry"):
        refused = await served.client.post(
            f"/ui/integrations/fake-ui/{action}", data={"csrf": csrf}
        )
        assert refused.status_code == 403 and "may only read" in refused.text
    assert await served.store.resync_requested_at("fake-ui") is None


async def test_admin_resyncs_and_retries(served: Served) -> None:
    csrf = await sign_in(served.client, served.credentials.admin)
    answer = await served.client.post("/ui/integrations/fake-ui/resync", data={"csrf": csrf})
    assert answer.status_code == 303
    assert await served.store.resync_requested_at("fake-ui") is not None
    answer = await served.client.post("/ui/integrations/fake-ui/retry", data={"csrf": csrf})
    page = await served.client.get(answer.headers["location"])
    assert "1 event(s) queued again" in page.text and "No dead letters" in page.text


async def test_the_page_shows_the_oldest_dead_letters_and_counts_them_all(
    served: Served, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ui_runs, "_DEAD_SHOWN", 2)
    queue = await open_queue(served.credentials.queue, "fake-ui")
    try:
        for number in range(3):
            await queue.put("/webhook", {"n": number}, {}, None)
        for taken in await queue.take(3, timeout=1):
            await queue.bury(taken, "mapping failed")
    finally:
        await queue.close()
    await sign_in(served.client, served.credentials.admin)

    page = (await served.client.get("/ui/integrations/fake-ui")).text

    assert page.count('aria-label="Retry event') == 2
    assert "The oldest 2 of 4 dead letters" in page and "Retry all 4" in page


async def test_entity_table_sorts_pages_and_filters(served: Served) -> None:
    await sign_in(served.client, served.credentials.admin)
    base = "/ui/blueprints/service/entities"
    page = (await served.client.get(base, params={"sort": "stars", "desc": "1"})).text
    assert page.index("svc-119") < page.index("svc-118") and "120 entities" in page
    second = (await served.client.get(base, params={"offset": 50})).text
    assert "svc-050" in second and "svc-049" not in second
    ruled = await served.client.get(
        base, params={"p": "language", "op": "=", "v": "go", "q": "Service 1"}
    )
    assert "svc-001" in ruled.text and "svc-010" in ruled.text and "svc-002" not in ruled.text
    broken = await served.client.get(base, params={"p": "nope", "op": "=", "v": "1"})
    assert broken.status_code == 422 and "cannot run" in broken.text


async def test_entity_page_shows_relations_both_ways_and_history(served: Served) -> None:
    await sign_in(served.client, served.credentials.admin)
    service = (await served.client.get("/ui/entities/service/svc-001")).text
    assert "/ui/entities/team/team-1" in service and "fake-ui" in service and "UPDATE" in service
    team = (await served.client.get("/ui/entities/team/team-1")).text
    assert "/ui/entities/service/svc-001" in team and "<svg" in team
    assert (await served.client.get("/ui/entities/service/nope")).status_code == 404


async def test_an_unreachable_queue_is_said_on_the_page(tmp_path: Path) -> None:
    store = await SQLiteStore.open(tmp_path / "catalog.db")
    credentials = await seed(store, tmp_path)
    app = create_app(store, queue_of=lambda _: "redis://127.0.0.1:1/0")
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://ui.test") as client:
        csrf = await sign_in(client, credentials.admin)
        page = await client.get("/ui/integrations/fake-ui")
        assert page.status_code == 200 and "cannot reach the live-event queue" in page.text
        retried = await client.post("/ui/integrations/fake-ui/retry", data={"csrf": csrf})
        again = await client.get(retried.headers["location"])
        assert again.text.count("cannot reach the live-event queue") == 2  # the flash too
    await store.close()
