"""The web UI driven in real headless Chromium (Debian's chromium, through Playwright):
sign in, open a blueprint, filter with a rule, open an entity, follow a relation both
ways, see a failed run's error, retry a dead letter, be refused as read-only. Screenshots
of each page go to the test's tmp folder (OCEAN_UI_SCREENSHOTS: also there)."""

from __future__ import annotations

import asyncio
import os
import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn

from ocean.server.app import create_app
from ocean.store.sqlite.store import SQLiteStore
from tests.loopback import free_port
from tests.server.ui_catalog import Credentials, seed

CHROMIUM = "/usr/bin/chromium"
playwright_api = pytest.importorskip("playwright.async_api")
pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="no /usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]  # fmt: skip


@pytest.fixture
async def site(tmp_path: Path) -> AsyncIterator[tuple[str, Credentials]]:
    store = await SQLiteStore.open(tmp_path / "catalog.db")
    credentials = await seed(store, tmp_path)
    port = free_port()
    app = create_app(store, queue_of=lambda _: credentials.queue)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    task = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.02)
    yield f"http://127.0.0.1:{port}", credentials
    server.should_exit = True
    await task
    await store.close()


async def _shot(page: Any, folder: Path, name: str) -> None:
    await page.screenshot(path=str(folder / f"{name}.png"))
    if target := os.environ.get("OCEAN_UI_SCREENSHOTS"):
        shutil.copy(folder / f"{name}.png", Path(target) / f"{name}.png")


async def _sign_in(page: Any, base: str, credential: tuple[str, str]) -> None:
    await page.goto(f"{base}/")
    await page.get_by_label("Client id").fill(credential[0])
    await page.get_by_label("Client secret").fill(credential[1])
    await page.get_by_role("button", name="Sign in").click()
    await page.wait_for_url(f"{base}/ui/")


async def test_browse_the_catalog(site: tuple[str, Credentials], tmp_path: Path) -> None:
    base, credentials = site
    async with playwright_api.async_playwright() as driver:
        browser = await driver.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = await browser.new_page(viewport={"width": 1366, "height": 768})
        await page.goto(f"{base}/ui/login")
        await _shot(page, tmp_path, "sign-in")
        await _sign_in(page, base, credentials.admin)
        assert "120" in await page.inner_text("table")
        await _shot(page, tmp_path, "blueprints")
        await page.get_by_role("link", name="Service", exact=True).click()
        assert "required" in await page.inner_text("main") and ".title" in await page.content()
        await _shot(page, tmp_path, "blueprint")
        await page.get_by_role("link", name="Browse its 120 entities").click()
        await page.get_by_label("Property").first.select_option("language")
        await page.get_by_label("Value").first.fill("rust")
        await page.get_by_role("button", name="Apply").click()
        table = await page.inner_text("#entities")
        assert (
            "svc-002" in table
            and "svc-001" not in table
            and "40 entities" in await page.inner_text("main")
        )
        await _shot(page, tmp_path, "entities")
        await page.get_by_role("link", name="svc-002").click()
        assert "rust" in await page.inner_text("main")
        await _shot(page, tmp_path, "entity")
        await page.locator("#outgoing").get_by_role("link", name="team-2").click()
        assert "svc-002" in await page.inner_text("#incoming")
        await page.locator("#incoming").get_by_role("link", name="svc-005").click()
        assert "Service 5" in await page.inner_text("h1")
        await page.goto(f"{base}/ui/integrations/fake-ui")
        text = await page.inner_text("main")
        assert (
            "GitHub answered 502" in text and "properties.url" in text and "mapping failed" in text
        )
        await _shot(page, tmp_path, "integration")
        await page.get_by_role("button", name="Retry event").click()
        assert "1 event(s) queued again" in await page.inner_text("main")
        await browser.close()


async def test_read_only_is_refused(site: tuple[str, Credentials], tmp_path: Path) -> None:
    base, credentials = site
    async with playwright_api.async_playwright() as driver:
        browser = await driver.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = await browser.new_page(viewport={"width": 1366, "height": 768})
        await _sign_in(page, base, credentials.reader)
        await page.goto(f"{base}/ui/integrations/fake-ui")
        assert await page.get_by_role("button", name="Resync now").count() == 0
        assert "mapping failed" in await page.inner_text("main")
        csrf = await page.locator("input[name=csrf]").first.input_value()
        answer = await page.request.post(
            f"{base}/ui/integrations/fake-ui/resync", form={"csrf": csrf}
        )
        assert answer.status == 403 and "may only read" in await answer.text()
        await _shot(page, tmp_path, "read-only")
        await browser.close()
