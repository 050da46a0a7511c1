"""The integrations pages read each integration's own runs: an integration that last ran
long ago (before the 500 latest runs of all integrations) still shows its runs."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from ocean.server.app import create_app
from ocean.store.base import RunRecord, Store
from tests.server.serving import fresh_catalog

BUSY = 501


def _run(integration: str, n: int, status: str = "completed") -> RunRecord:
    started = f"2026-01-{1 + n // 86400:02d}T{n // 3600 % 24:02d}:{n // 60 % 60:02d}:{n % 60:02d}Z"
    return RunRecord(integration, "manual", started, None, status, {"kinds": []})


@pytest.fixture(params=["sqlite", "postgresql"])
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Store]:
    async with fresh_catalog(request.param, tmp_path) as catalog:
        kept: Store = catalog  # type: ignore[assignment]
        await kept.record_run(_run("quiet", 0, "failed"))
        for n in range(BUSY):
            await kept.record_run(_run("busy", n + 1))
        yield kept


async def test_the_store_lists_one_integration_s_runs(store: Store) -> None:
    assert [r.status for r in await store.list_runs(5, "quiet")] == ["failed"]
    busy = await store.list_runs(3, "busy")
    assert [r.integration for r in busy] == ["busy"] * 3
    assert [r.id for r in busy] == sorted((r.id for r in busy), reverse=True)
    assert len(await store.list_runs(1000)) == BUSY + 1
    assert await store.list_runs(5, "nobody") == []


@pytest.mark.parametrize(
    ("path", "says"),
    [
        (
            "/ui/integrations",
            r'quiet</a></td>\s*<td>1</td><td><span class="status-failed">failed',
        ),
        ("/ui/integrations/quiet", r"failed"),
    ],
)
async def test_an_integration_that_ran_long_ago_shows_its_runs(
    store: Store, path: str, says: str
) -> None:
    client_id, secret = await store.create_credentials("ui", role="admin")  # type: ignore[attr-defined]
    transport = httpx.ASGITransport(app=create_app(store))
    async with httpx.AsyncClient(transport=transport, base_url="http://ui.test") as client:
        form = (await client.get("/ui/login")).text
        csrf = re.search(r'name="csrf" value="([^"]+)"', form)
        assert csrf
        data = {"csrf": csrf.group(1), "client_id": client_id, "client_secret": secret}
        assert (await client.post("/ui/login", data=data)).status_code == 303
        page = (await client.get(path)).text
    assert re.search(says, page), page
    assert "No runs recorded." not in page
