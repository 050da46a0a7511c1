"""Failed token requests are limited per client id from one address, and per address:
failures from elsewhere never refuse a credential's right secret, and the address is the
TCP peer's unless ``ocean catalog serve`` is told which proxies to believe."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from ocean.server.app import create_app
from tests import loopback
from tests.server.serving import fresh_catalog
from tests.server.test_ui_http import _csrf

TOKEN = "/v1/auth/access_token"


def _from(address: str, base: str) -> httpx.AsyncClient:
    """A client whose connections come from ``address`` (any of 127.0.0.0/8 is loopback)."""
    transport = httpx.AsyncHTTPTransport(local_address=address)
    return httpx.AsyncClient(base_url=base, transport=transport)


async def test_failures_from_another_address_do_not_refuse_the_right_secret(
    tmp_path: Path,
) -> None:
    async with fresh_catalog("sqlite", tmp_path) as store:
        client_id, secret = await store.create_credentials("sync", role="read-only")
        async with (
            loopback.served(create_app(store)) as base,
            _from("127.0.0.2", base) as attacker,
            _from("127.0.0.1", base) as owner,
        ):
            wrong = {"clientId": client_id, "clientSecret": "guess"}
            tried = [(await attacker.post(TOKEN, json=wrong)).status_code for _ in range(11)]
            right = {"clientId": client_id, "clientSecret": secret}
            attacker_s = await attacker.post(TOKEN, json=right)
            owner_s = await owner.post(TOKEN, json=right)
            form = await owner.get("/ui/login")
            signed_in = await owner.post(
                "/ui/login",
                data={"csrf": _csrf(form.text), "client_id": client_id, "client_secret": secret},
            )

    assert tried == [401] * 10 + [429]  # the guessing address is stopped
    assert attacker_s.status_code == 429  # even with the right secret, from there
    assert owner_s.status_code == 200, owner_s.text  # the owner's address is not
    assert signed_in.status_code == 303, signed_in.text  # nor its web UI sign-in


@pytest.fixture
def catalog_file(tmp_path: Path) -> Path:
    return tmp_path / "catalog.db"


@pytest.fixture
def serving(catalog_file: Path, request: pytest.FixtureRequest) -> Iterator[str]:
    """``ocean catalog serve`` with the parametrized extra options: its base URL."""
    port = loopback.free_port()
    command = [sys.executable, "-m", "ocean", "catalog", "serve", "--catalog", str(catalog_file)]
    env = {k: v for k, v in os.environ.items() if not k.startswith("OCEAN__")}
    env["FORWARDED_ALLOW_IPS"] = "*"  # uvicorn's own setting: the command decides, not it
    process = subprocess.Popen(
        [*command, "--port", str(port), *request.param],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    with loopback.reaped(process):
        loopback.until(lambda: httpx.get(f"{base}/openapi.json").status_code == 200)
        yield base
        process.terminate()
        process.wait(timeout=30)


def _spoofed_failures(base: str, count: int) -> list[int]:
    """``count`` failed token requests, each for another client id and claiming another
    client address in ``X-Forwarded-For``."""
    statuses = []
    with httpx.Client(base_url=base) as client:
        for n in range(count):
            answer = client.post(
                TOKEN,
                json={"clientId": f"ocean-{n}", "clientSecret": "guess"},
                headers={"X-Forwarded-For": f"203.0.113.{n}"},
            )
            statuses.append(answer.status_code)
    return statuses


@pytest.mark.parametrize("serving", [[]], indirect=True, ids=["default"])
def test_serve_believes_no_forwarded_address_by_default(serving: str) -> None:
    assert _spoofed_failures(serving, 31) == [401] * 30 + [429]  # all one address's


@pytest.mark.parametrize(
    "serving", [["--forwarded-allow-ips", "127.0.0.1"]], indirect=True, ids=["trusted"]
)
def test_serve_believes_the_forwarded_address_from_the_proxies_it_is_told(serving: str) -> None:
    assert _spoofed_failures(serving, 31) == [401] * 31  # each its own address
