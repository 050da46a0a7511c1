"""Raw items an integration writes outside a resync (``register_raw``): the data they were
fetched from is in flight while the integration resolves their fields, so a resync's newer
data written meanwhile is not undone by them."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from ocean.errors import StoreError
from ocean.live.apply import LiveWriter
from ocean.live.raw import DirectWrites
from ocean.load.freshness import Freshness
from ocean.mapping import parse_mapping, parse_resource
from ocean.store.base import Owner
from ocean.store.sqlite.store import SQLiteStore
from ocean.transform.mapper import CompiledResource
from tests.conftest import BLUEPRINTS, resource

OWNER = Owner("svc", "my-svc")


class _Paused:
    """Resolves ``file://`` fields once the test lets it (an API call under way)."""

    def __init__(self) -> None:
        self.asked, self.go = asyncio.Event(), asyncio.Event()

    def claims(self, text: str) -> bool:
        return text.startswith("file://")

    async def resolve(self, item: Any, text: str) -> Any:
        self.asked.set()
        await self.go.wait()
        return "https://old.example.com"


@pytest.mark.usefixtures("forgetful_freshness")
async def test_resync_data_written_while_raw_items_resolve_their_fields_is_not_undone(
    tmp_path: Path,
) -> None:
    paused = _Paused()
    services = parse_resource(resource("service", "service", properties={"url": "file://URL"}))
    store = await SQLiteStore.open(tmp_path / "catalog.db")
    try:
        await store.create_blueprints(BLUEPRINTS)
        freshness = Freshness()
        writer = LiveWriter(store=store, owner=OWNER, mapping=parse_mapping({"resources": []}),
                            freshness=freshness)  # fmt: skip
        direct = DirectWrites([CompiledResource(services, env=None, resolver=paused)], writer)
        registering = asyncio.create_task(
            direct.register_raw("service", [{"id": "svc-1", "name": "From the raw item"}])
        )
        await paused.asked.wait()  # its items fetched, one field being resolved
        newer = {"blueprint": "service", "identifier": "svc-1", "title": "From the resync"}
        async with freshness.lock:  # a resync's page, fetched after them, writes svc-1
            freshness.claim([newer], Freshness.now())
            await store.upsert_entities([newer], owner=OWNER, merge=False)
        async with freshness.lock:  # a later claim looks for the writes it may forget
            freshness.claim([], Freshness.now())
        paused.go.set()
        await registering
        stored = await store.get_entities("service", ["svc-1"])
    finally:
        await store.close()

    assert stored["svc-1"]["title"] == "From the resync"


async def test_register_raw_deletes_nothing_when_another_resource_of_the_kind_fails_to_map(
    tmp_path: Path,
) -> None:
    """As the original: a transform error raises before anything is deleted. Here one
    resource's selector rejects svc-1 while another's, which may keep it, fails on it."""
    inactive = resource("service", "service") | {"selector": {"query": ".active"}}
    tagged = resource("service", "service") | {"selector": {"query": '.tags | contains(["keep"])'}}
    resources = [parse_resource(inactive), parse_resource(tagged)]
    store = await SQLiteStore.open(tmp_path / "catalog.db")
    try:
        await store.create_blueprints(BLUEPRINTS)
        existing = {"blueprint": "service", "identifier": "svc-1", "title": "Kept"}
        await store.upsert_entities([existing], owner=OWNER, merge=False)
        writer = LiveWriter(store=store, owner=OWNER, mapping=parse_mapping({"resources": []}),
                            freshness=Freshness())  # fmt: skip
        direct = DirectWrites([CompiledResource(r, env=None) for r in resources], writer)
        item = {"id": "svc-1", "name": "Kept", "active": False, "tags": 7}  # tags: not a list

        with pytest.raises(StoreError):
            await direct.register_raw("service", [item])
        stored = await store.get_entities("service", ["svc-1"])
    finally:
        await store.close()

    assert "svc-1" in stored
