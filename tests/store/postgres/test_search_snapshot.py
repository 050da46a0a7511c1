"""A relatedTo search walks the relations hop by hop, one statement each: the hops and the
entities read must all see one state of the catalog, not a write that lands between them."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest

import ocean.store.postgres.search as postgres_search
from ocean.store.base import Owner
from ocean.store.browse import Browse
from ocean.store.paging import browse
from ocean.store.postgres.store import PostgresStore
from ocean.types import Entity

OWNER = Owner("org", "int-a")
BLUEPRINTS = [
    {"identifier": "department", "title": "D", "schema": {"properties": {}}, "relations": {}},
    {
        "identifier": "team",
        "title": "Team",
        "schema": {"properties": {}},
        "relations": {"department": {"target": "department", "many": False, "required": False}},
    },
    {
        "identifier": "service",
        "title": "Service",
        "schema": {"properties": {}},
        "relations": {"team": {"target": "team", "many": False, "required": False}},
    },
]


def _entity(blueprint: str, identifier: str, **relations: str | None) -> Entity:
    return {"identifier": identifier, "blueprint": blueprint, "relations": relations}


@pytest.fixture
async def stores(postgres_url: str) -> AsyncIterator[tuple[PostgresStore, PostgresStore]]:
    reader, writer = await PostgresStore.open(postgres_url), await PostgresStore.open(postgres_url)
    await writer.create_blueprints(BLUEPRINTS)
    yield reader, writer
    await reader.close()
    await writer.close()


async def _searched(store: PostgresStore, query: dict[str, Any]) -> set[str]:
    services = {"property": "$blueprint", "operator": "=", "value": "service"}
    query = {"combinator": "and", "rules": [services, query]}
    return {entity["identifier"] for entity in await store.search(query)}


async def _browsed(store: PostgresStore, query: dict[str, Any]) -> set[str]:
    """The web catalog's page of services under the query."""
    return {
        entity["identifier"]
        for entity in (await browse(store, Browse("service", query=query))).entities
    }


@pytest.mark.parametrize("read", [_searched, _browsed], ids=["search", "browse"])
async def test_a_write_between_a_searchs_hops_is_not_half_seen(
    stores: tuple[PostgresStore, PostgresStore],
    monkeypatch: pytest.MonkeyPatch,
    read: Callable[[PostgresStore, dict[str, Any]], Awaitable[set[str]]],
) -> None:
    """Before: api -> core -> platform. One write moves core out of platform and adds web ->
    core, after the search's first hop: the services found are those before ({api}) or after
    (none), never web with api."""
    reader, writer = stores
    entities = [
        _entity("department", "platform"),
        _entity("team", "core", department="platform"),
        _entity("service", "api", team="core"),
    ]
    await writer.upsert_entities(entities, owner=OWNER, merge=True)
    hop, hops = postgres_search._hop, []

    async def hop_then_write(*args: Any) -> Any:
        found = await hop(*args)
        hops.append(found)
        if len(hops) == 1:
            moved = [
                _entity("team", "core", department=None),
                _entity("service", "web", team="core"),
            ]
            await writer.upsert_entities(moved, owner=OWNER, merge=True)
        return found

    monkeypatch.setattr(postgres_search, "_hop", hop_then_write)
    query = {"combinator": "and", "rules": [{"operator": "relatedTo", "blueprint": "department",
             "value": "platform", "direction": "downstream"}]}  # fmt: skip

    found = await read(reader, query)

    assert len(hops) > 1
    assert found in ({"api"}, set())
