"""An integration written for the original that fetches from a third-party API the way real
ones do (its own client module, the shared retrying client, a bounded fan-out, loguru, an
``on_start`` that checks the listener), synced from a small API served on loopback."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import yaml

from ocean.job import SilentObserver
from ocean.listen.once import run_once
from ocean.sail import prepare
from ocean.store.sqlite.store import SQLiteStore

CLIENT = """
from port_ocean.context.ocean import ocean
from port_ocean.utils import http_async_client


class TeamsClient:
    def __init__(self) -> None:
        self.base = ocean.integration_config["api_url"]

    async def teams(self) -> list[dict]:
        response = await http_async_client.get(f"{self.base}/teams")
        response.raise_for_status()
        return response.json()

    async def repos(self, team: str):
        page = 1
        while True:
            response = await http_async_client.get(f"{self.base}/teams/{team}/repos", params={"page": page})
            response.raise_for_status()
            if not (batch := response.json()):
                return
            yield batch
            page += 1
"""

MAIN = """
import asyncio
import functools

from loguru import logger
from port_ocean.context.ocean import ocean
from port_ocean.core.ocean_types import ASYNC_GENERATOR_RESYNC_TYPE
from port_ocean.utils.async_iterators import semaphore_async_iterator, stream_async_iterators_tasks

from client import TeamsClient


@ocean.on_start()
async def on_start() -> None:
    if ocean.event_listener_type == "ONCE":
        logger.info("one-off run: no webhooks to create")
        return
    raise RuntimeError("only ONCE runs here")


@ocean.on_resync("repo")
async def repos(kind: str) -> ASYNC_GENERATOR_RESYNC_TYPE:
    client = TeamsClient()
    bound = asyncio.BoundedSemaphore(2)
    teams = [team["slug"] for team in await client.teams()]
    pages = [semaphore_async_iterator(bound, functools.partial(client.repos, t)) for t in teams]
    async for batch in stream_async_iterators_tasks(*pages):
        yield batch
"""

SPEC = {"configurations": [{"name": "apiUrl", "type": "url", "required": True}]}
MAPPING = {
    "resources": [
        {
            "kind": "repo",
            "selector": {"query": "true"},
            "port": {
                "entity": {
                    "mappings": {
                        "identifier": ".full_name",
                        "blueprint": '"repo"',
                        "properties": {"team": ".team"},
                    }
                }
            },
        }
    ]
}
BLUEPRINTS = [
    {"identifier": "repo", "title": "Repo", "schema": {"properties": {"team": {"type": "string"}}}}
]
TEAMS = ("red", "green", "blue")
PAGES = 2
PER_PAGE = 2


class TeamsApi:
    """A third party with teams and their paged repos; it rate-limits a call once."""

    def __init__(self) -> None:
        self.calls: list[str] = []
        self.limited = False

    def answer(self, path: str) -> tuple[str, dict[str, str], object]:
        self.calls.append(path)
        if path == "/teams":
            return "200 OK", {}, [{"slug": team} for team in TEAMS]
        team, page = re.fullmatch(r"/teams/(\w+)/repos\?page=(\d+)", path).groups()  # type: ignore[union-attr]
        if team == "green" and not self.limited:
            self.limited = True
            return "429 Too Many Requests", {"Retry-After": "0"}, {"message": "slow down"}
        if int(page) > PAGES:
            return "200 OK", {}, []
        numbers = range((int(page) - 1) * PER_PAGE, int(page) * PER_PAGE)
        return "200 OK", {}, [{"full_name": f"{team}/repo-{n}", "team": team} for n in numbers]

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = (await reader.readuntil(b"\r\n\r\n")).decode()
        status, headers, body = self.answer(head.split(" ")[1])
        payload = json.dumps(body).encode()
        extra = "".join(f"{name}: {value}\r\n" for name, value in headers.items())
        writer.write(
            f"HTTP/1.1 {status}\r\nContent-Type: application/json\r\n{extra}"
            f"Content-Length: {len(payload)}\r\nConnection: close\r\n\r\n".encode()
            + payload
        )
        await writer.drain()
        writer.close()


@pytest.fixture
async def api() -> AsyncIterator[tuple[TeamsApi, str]]:
    fake = TeamsApi()
    server = await asyncio.start_server(fake.serve, "127.0.0.1", 0)
    async with server:
        yield fake, f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}"


def _folder(tmp_path: Path) -> Path:
    folder = tmp_path / "teams-integration"
    (folder / ".port" / "resources").mkdir(parents=True)
    (folder / "main.py").write_text(MAIN)
    (folder / "client.py").write_text(CLIENT)
    (folder / ".port" / "spec.yaml").write_text(yaml.safe_dump(SPEC))
    (folder / ".port" / "resources" / "port-app-config.yml").write_text(yaml.safe_dump(MAPPING))
    (folder / ".port" / "resources" / "blueprints.json").write_text(json.dumps(BLUEPRINTS))
    return folder


async def test_an_integration_fetching_through_the_shared_client_syncs_every_page(
    tmp_path: Path, api: tuple[TeamsApi, str]
) -> None:
    fake, url = api
    environ = {"OCEAN__INTEGRATION__CONFIG__API_URL": url, "OCEAN__EVENT_LISTENER__TYPE": "ONCE"}
    sail = prepare(_folder(tmp_path), environ=environ, overrides={})
    store = await SQLiteStore.open(tmp_path / "catalog.db")
    try:
        report = await run_once(sail, store, SilentObserver())
        entities = {e["identifier"]: e["properties"]["team"] async for e in store.iter_entities()}
    finally:
        await store.close()

    assert report.status == "completed", report.errors
    expected = {f"{t}/repo-{n}": t for t in TEAMS for n in range(PAGES * PER_PAGE)}
    assert entities == expected
    assert fake.calls.count("/teams/green/repos?page=1") == 2  # rate-limited once, retried
