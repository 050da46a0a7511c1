"""A placeholder (made for a missing relation target) holds no one's data: any writer may
write the real entity, which is then its writer's alone, so that the placeholder's maker
does not delete it as its own stale entity."""

from __future__ import annotations

from typing import Any

from ocean.store.base import Owner, Store
from ocean.store.ownership import KnowsDatasources
from tests.store.test_model import OWNER, SERVICE, TEAM

TEAMS = Owner("teams", "teams-1", "1.0.0")


def _service(identifier: str, **extra: Any) -> dict[str, Any]:
    return {"identifier": identifier, "blueprint": "service", "properties": {"url": "https://x"}} | extra  # fmt: skip


def _team(identifier: str, **extra: Any) -> dict[str, Any]:
    return {"identifier": identifier, "blueprint": "team", "title": "Core team"} | extra


async def _datasources(store: Store, *keys: tuple[str, str]) -> dict[Any, list[str]]:
    assert isinstance(store, KnowsDatasources)
    return await store.datasources_of(list(keys))


async def test_a_placeholder_written_by_another_owner_becomes_its_alone(store: Store) -> None:
    await store.create_blueprints([TEAM, SERVICE])
    await store.upsert_entities([_service("a", relations={"team": "core"})], owner=OWNER, merge=True)  # fmt: skip
    assert await _datasources(store, ("team", "core"), ("service", "a")) == {
        ("service", "a"): [OWNER.datasource]  # the placeholder: anyone's to write
    }

    outcomes = await store.upsert_entities([_team("core")], owner=TEAMS, merge=True)

    assert [(o.status, o.error) for o in outcomes] == [("updated", None)]
    assert (await store.get_entities("team", ["core"]))["core"]["title"] == "Core team"
    assert ("team", "core") in await store.owned_keys(TEAMS)
    assert ("team", "core") not in await store.owned_keys(OWNER)  # not its stale entity
    assert await _datasources(store, ("team", "core")) == {("team", "core"): [TEAMS.datasource]}


async def test_a_placeholder_sent_as_it_is_is_still_taken(store: Store) -> None:
    await store.create_blueprints([TEAM, SERVICE])
    await store.upsert_entities([_service("a", relations={"team": "core"})], owner=OWNER, merge=True)  # fmt: skip

    outcomes = await store.upsert_entities(
        [_team("core", title="core")], owner=TEAMS, merge=True, only_changed=True
    )

    assert [o.status for o in outcomes] == ["updated"]
    assert await store.owned_keys(OWNER) == {("service", "a")}
    assert await _datasources(store, ("team", "core")) == {("team", "core"): [TEAMS.datasource]}


async def test_an_entity_written_in_full_is_no_placeholder(store: Store) -> None:
    """An entity its owner wrote, even as a placeholder would be made, stays its owner's;
    and a write over a taken placeholder takes nothing more."""
    await store.create_blueprints([TEAM, SERVICE])
    await store.upsert_entities([_team("core", title="core")], owner=OWNER, merge=True)
    await store.upsert_entities([_service("a", relations={"team": "edge"})], owner=OWNER, merge=True)  # fmt: skip
    await store.upsert_entities([_team("edge")], owner=TEAMS, merge=True)

    await store.upsert_entities([_team("edge", title="Edge")], owner=OWNER, merge=True)

    assert await _datasources(store, ("team", "core"), ("team", "edge")) == {
        ("team", "core"): [OWNER.datasource],
        ("team", "edge"): sorted([OWNER.datasource, TEAMS.datasource]),
    }
