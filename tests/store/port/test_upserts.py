"""Upserting entities through the Port API: change detection over what the writer owns,
a write despite a failed lookup, and each outcome as Port answers it."""

from __future__ import annotations

from typing import Any

from ocean.store.base import Owner
from tests.store.port.fake_port import FakePort, client

OWNER = Owner("github", "gh-1", "1.2.3")


def _team(identifier: str) -> Any:
    return {"identifier": identifier, "blueprint": "team", "title": identifier.title()}


async def test_a_failed_change_detection_lookup_writes_the_whole_batch() -> None:
    port = FakePort()
    store = client(port)
    await store.upsert_entities([_team("core"), _team("edge")], owner=OWNER, merge=True)
    port.failures["POST /entities/search"] = [(500, {})]
    changed = [_team("core") | {"title": "Core team"}, _team("edge")]

    outcomes = await store.upsert_entities(changed, owner=OWNER, merge=True, only_changed=True)

    assert [o.status for o in outcomes] == ["updated", "updated"]
    assert port.entities[("team", "core")]["title"] == "Core team"


async def test_a_failed_lookup_writes_only_the_entities_it_was_for() -> None:
    """Searches go by blueprint (and 50 identifiers): one failing leaves the others' entities
    compared, not the whole call's written again."""
    port = FakePort()
    store = client(port)
    service = {"identifier": "api", "blueprint": "service", "title": "API"}
    await store.upsert_entities([_team("core"), service], owner=OWNER, merge=True)
    port.failures["POST /entities/search"] = [(500, {})]

    outcomes = await store.upsert_entities(
        [_team("core"), service], owner=OWNER, merge=True, only_changed=True
    )

    assert sorted(o.status for o in outcomes) == ["unchanged", "updated"]


async def test_an_equal_entity_someone_else_wrote_is_written_and_so_owned() -> None:
    port = FakePort()
    port.entities[("team", "edge")] = _team("edge") | {"datasource": "port-ui"}
    store = client(port)

    outcomes = await store.upsert_entities(
        [_team("edge")], owner=OWNER, merge=True, only_changed=True
    )

    assert outcomes[0].status == "updated"
    assert port.entities[("team", "edge")]["datasource"] == OWNER.datasource
    assert await store.owned_keys(OWNER) == {("team", "edge")}


async def test_an_update_is_reported_updated_as_port_says_it_did_not_create() -> None:
    port = FakePort()
    store = client(port)
    await store.upsert_entities([_team("core")], owner=OWNER, merge=True)

    outcomes = await store.upsert_entities([_team("core"), _team("edge")], owner=OWNER, merge=True)

    assert [o.status for o in outcomes] == ["updated", "created"]


async def test_a_search_identifier_matching_no_entity_is_dropped_not_failed() -> None:
    port = FakePort()
    store = client(port)
    query = {"combinator": "and", "rules": [{"property": "$title", "operator": "=", "value": "B"}]}

    outcomes = await store.upsert_entities(
        [_team("core"), {"identifier": query, "blueprint": "team"}], owner=OWNER, merge=True
    )  # type: ignore[list-item]

    assert [(o.status, o.ok) for o in outcomes] == [("created", True), ("unchanged", True)]
