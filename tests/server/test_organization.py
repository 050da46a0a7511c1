"""``GET /v1/organization``: the catalog server answers the feature flags its settings name
(``OCEAN__CATALOG__FEATURE_FLAGS``), as Port answers an organization's, none by default."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import httpx

from ocean.server.app import create_app
from tests import loopback
from tests.server.serving import fresh_catalog, sign_in

FLAGS = ["AWS_V3_LIVE_EVENTS_ENABLED", "LAKEHOUSE_ELIGIBLE"]


async def _organization(tmp_path: Path, **options: list[str]) -> dict[str, object]:
    async with fresh_catalog("sqlite", tmp_path) as store:
        client_id, secret = await store.create_credentials("tests")
        transport = httpx.ASGITransport(app=create_app(store, **options))
        async with httpx.AsyncClient(transport=transport, base_url="http://ocean.test") as api:
            await sign_in(api, client_id, secret)
            answer = await api.get("/v1/organization")
    assert answer.status_code == 200, answer.text
    return dict(answer.json()["organization"])


async def test_the_organization_has_no_feature_flags_by_default(tmp_path: Path) -> None:
    organization = await _organization(tmp_path)

    assert organization == {"id": "ocean", "name": "Ocean", "featureFlags": []}


async def test_the_organization_has_the_feature_flags_the_server_is_given(
    tmp_path: Path,
) -> None:
    organization = await _organization(tmp_path, feature_flags=FLAGS)

    assert organization["featureFlags"] == FLAGS


async def test_serve_answers_the_feature_flags_of_its_environment(tmp_path: Path) -> None:
    async with fresh_catalog("sqlite", tmp_path) as store:
        client_id, secret = await store.create_credentials("tests")
    catalog = tmp_path / "c.db"
    port = loopback.free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("OCEAN__")}
    env["OCEAN__CATALOG__FEATURE_FLAGS"] = json.dumps(FLAGS)
    command = [sys.executable, "-m", "ocean", "catalog", "serve", "--catalog", str(catalog)]
    process = subprocess.Popen(
        [*command, "--port", str(port)], env=env, cwd=tmp_path,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    with loopback.reaped(process):
        loopback.until(lambda: httpx.get(f"{base}/openapi.json").status_code == 200)
        async with httpx.AsyncClient(base_url=base) as api:
            await sign_in(api, client_id, secret)
            answer = await api.get("/v1/organization")
        process.terminate()
        process.wait(timeout=30)

    assert answer.json()["organization"]["featureFlags"] == FLAGS
