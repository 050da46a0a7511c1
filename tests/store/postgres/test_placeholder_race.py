"""Two integrations write one PostgreSQL catalog at once: one writes teams in full, the
other services relating to them, with placeholders for the teams it finds missing. A
placeholder's blueprint is not locked by the write making it, so the team may be stored
between the check and the placeholder's insert: the services' integration must not own it
then (its next resync's stale deletion would delete the other integration's team)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from ocean.store.base import Owner
from ocean.store.postgres.store import PostgresStore
from ocean.types import Entity
from tests.store.postgres import connected, until_waiting

TEAMS = Owner("teams", "int-a")
SERVICES = Owner("services", "int-b")
BLUEPRINTS = [
    {"identifier": "team", "title": "Team", "schema": {"properties": {}}, "relations": {}},
    {
        "identifier": "service",
        "title": "Service",
        "schema": {"properties": {}},
        "relations": {"team": {"target": "team", "many": False, "required": False}},
    },
]


@pytest.fixture
async def stores(postgres_url: str) -> AsyncIterator[tuple[PostgresStore, PostgresStore]]:
    teams, services = await PostgresStore.open(postgres_url), await PostgresStore.open(postgres_url)
    await teams.create_blueprints(BLUEPRINTS)
    yield teams, services
    await teams.close()
    await services.close()


def _team(identifier: str) -> Entity:
    return {"identifier": identifier, "blueprint": "team", "title": identifier}


def _service(identifier: str, team: str) -> Entity:
    return {"identifier": identifier, "blueprint": "service", "relations": {"team": team}}


async def test_a_target_stored_while_its_placeholder_is_made_is_not_owned(
    stores: tuple[PostgresStore, PostgresStore], postgres_url: str
) -> None:
    """The team is inserted (uncommitted) before the services' write checks it: the
    placeholder's insert waits for it, then inserts nothing."""
    teams, services = stores
    await teams.upsert_entities([_team("other")], owner=TEAMS, merge=True)
    other, watch = await connected(postgres_url), await connected(postgres_url)
    try:
        racing = other.transaction()
        await racing.start()
        await other.execute(
            "INSERT INTO entities(blueprint, identifier, body, created_at, updated_at) "
            "VALUES ('team', 't', '{\"title\": \"t\"}', 'x', 'x')"
        )
        await other.execute(
            "INSERT INTO ownership(owner, blueprint, identifier) "
            "SELECT id, 'team', 't' FROM owners WHERE key = $1",
            TEAMS.key,
        )
        write = asyncio.create_task(
            services.upsert_entities([_service("s", "t")], owner=SERVICES, merge=True)
        )
        await until_waiting(watch)  # the placeholder's insert, on ``t``
        await racing.commit()
        outcomes = await write
    finally:
        await other.close()
        await watch.close()

    assert [o.status for o in outcomes] == ["created"]
    assert await services.owned_keys(SERVICES) == {("service", "s")}
    assert await teams.owned_keys(TEAMS) == {("team", "other"), ("team", "t")}


async def test_a_placeholder_made_while_a_write_upserts_is_claimed_by_it(
    stores: tuple[PostgresStore, PostgresStore], postgres_url: str
) -> None:
    """The teams' write copies ``a`` in, which another session inserts meanwhile: it is made
    again as upserts, and asks again, while a placeholder of the services' integration for
    ``b`` is being inserted; its upsert writes over the placeholder, which is then its own
    alone."""
    teams, services = stores
    await services.upsert_entities([_service("s0", "zz")], owner=SERVICES, merge=True)
    first, second = await connected(postgres_url), await connected(postgres_url)
    watch = await connected(postgres_url)
    try:
        await first.execute("BEGIN")
        await first.execute(
            "INSERT INTO entities(blueprint, identifier, body, created_at, updated_at) "
            "VALUES ('team', 'a', '{\"title\": \"a\"}', 'x', 'x')"
        )
        await second.execute("BEGIN")
        await second.execute(
            "INSERT INTO entities(blueprint, identifier, body, created_at, updated_at) "
            "VALUES ('team', 'b', '{\"placeholder\":true,\"title\":\"b\"}', 'x', 'x')"
        )
        await second.execute(
            "INSERT INTO ownership(owner, blueprint, identifier) "
            "SELECT id, 'team', 'b' FROM owners WHERE key = $1",
            SERVICES.key,
        )
        write = asyncio.create_task(
            teams.upsert_entities([_team("a"), _team("b")], owner=TEAMS, merge=True)
        )
        await until_waiting(watch)  # the copy, on ``a``
        await first.execute("COMMIT")
        await until_waiting(watch)  # the upserts, on ``b``
        await second.execute("COMMIT")
        await write
    finally:
        for db in (first, second, watch):
            await db.close()

    assert ("team", "b") not in await services.owned_keys(SERVICES)
    assert ("team", "b") in await teams.owned_keys(TEAMS)


async def test_concurrent_integrations_own_only_what_they_made(
    stores: tuple[PostgresStore, PostgresStore],
) -> None:
    teams, services = stores
    count = 0
    for round_ in range(6):
        names = [f"t{round_}-{i}" for i in range(150)]
        count += len(names)
        await asyncio.gather(
            teams.upsert_entities([_team(name) for name in names], owner=TEAMS, merge=True),
            services.upsert_entities(
                [_service(f"s-{name}", name) for name in names], owner=SERVICES, merge=True
            ),
        )

    owned = await services.owned_keys(SERVICES)
    assert {key for key in owned if key[0] == "team"} == set()
    start = await services.now()
    stale = await services.owned_keys(SERVICES, before=start)
    await services.delete_entities(sorted(stale), delete_dependents=False, written_before=start)
    assert len([e async for e in teams.iter_entities("team")]) == count
