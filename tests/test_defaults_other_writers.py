"""Blueprints brought in step with the folder while another writer changes them: what the
other writer added is kept (``sync_blueprints`` and the set-up of Port resources patch the
blueprint as the catalog holds it when they change it, not as they read it before)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from ocean.defaults import sync_blueprints
from ocean.port_resources import set_up
from ocean.store.base import Owner
from ocean.store.port.http import PortHTTP
from ocean.store.port.store import PortAPIStore
from tests.conftest import STORES, opened_store
from tests.store.port.fake_port import FakePort

OWNER = Owner("other-writer", "ow-1", "1.0.0")
TEAM = {"identifier": "team", "title": "Team", "schema": {"properties": {}}, "relations": {}}
SERVICE = {
    "identifier": "service",
    "title": "Service",
    "schema": {"properties": {"url": {"type": "string"}}},
    "relations": {},
}
WANTED = {
    **SERVICE,
    "schema": {"properties": {"url": {"type": "string"}, "lang": {"type": "string"}}},
    "relations": {"team": {"target": "team", "many": False, "required": False}},
}


class _OtherWriterAfterRead:
    """The store, with another writer's change made right after each blueprint listing
    (between a reader's look and its write)."""

    def __init__(self, store: Any, write: Callable[[Any], Awaitable[None]]) -> None:
        self._store, self._write = store, write

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)

    async def list_blueprints(self) -> list[dict[str, Any]]:
        listed = await self._store.list_blueprints()
        await self._write(self._store)
        return list(listed)


async def _add_owner_property(store: Any) -> None:
    current = {bp["identifier"]: bp for bp in await store.list_blueprints()}["service"]
    properties = {**current["schema"]["properties"], "owner": {"type": "string"}}
    await store.update_blueprint(
        "service", {"schema": {**current["schema"], "properties": properties}}
    )


async def _add_repo_relation(store: Any) -> None:
    current = {bp["identifier"]: bp for bp in await store.list_blueprints()}["service"]
    relation = {"target": "team", "many": True, "required": False}
    await store.update_blueprint(
        "service", {"relations": {**(current.get("relations") or {}), "repo": relation}}
    )


@pytest.fixture(params=[*STORES, "port-api"])
async def any_store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Any]:
    """Ocean's catalogs and a Port API (faked)."""
    if request.param != "port-api":
        async with opened_store(request.param, tmp_path) as opened:
            yield opened
        return
    yield _port_store(FakePort())


def _port_store(port: FakePort) -> PortAPIStore:
    http = PortHTTP("https://port.test", "id", "secret", user_agent="t", transport=port.transport())
    return PortAPIStore(http)


async def _service(store: Any) -> dict[str, Any]:
    return {bp["identifier"]: bp for bp in await store.list_blueprints()}["service"]


async def test_a_property_another_writer_adds_while_blueprints_sync_is_kept(
    any_store: Any,
) -> None:
    await any_store.create_blueprints([TEAM, SERVICE])
    entity = {"identifier": "a", "blueprint": "service", "properties": {"url": "u"}}
    await any_store.upsert_entities([entity], owner=OWNER, merge=True)

    sync = await sync_blueprints(
        _OtherWriterAfterRead(any_store, _add_owner_property), [TEAM, WANTED]
    )

    properties = (await _service(any_store))["schema"]["properties"]
    assert set(properties) == {"url", "lang", "owner"}
    assert sync.applied and not sync.unsafe


async def test_a_relation_another_writer_adds_while_port_resources_are_set_up_is_kept() -> None:
    port = FakePort()
    port.integrations["ow-1"] = {"installationId": "ow-1", "config": {"x": 1}}
    store = _port_store(port)
    await store.create_blueprints([TEAM, SERVICE])
    racing = _OtherWriterAfterRead(store, _add_repo_relation)

    await set_up(racing, "ow-1", {"config": {"x": 1}}, [TEAM, WANTED], {}, enabled=True)

    assert set((await _service(store))["relations"]) == {"team", "repo"}
