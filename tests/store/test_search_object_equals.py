"""Review: '=' on an object property whose value has from/to keys."""

from __future__ import annotations

from ocean.store.base import Owner, Store

OWNER = Owner("github", "gh-1", "1.0.0")
FLIGHT = {
    "identifier": "flight",
    "title": "Flight",
    "schema": {"properties": {"route": {"type": "object"}}},
}


async def test_an_object_equal_to_one_with_from_and_to_is_found(store: Store) -> None:
    await store.create_blueprints([FLIGHT])
    route = {"from": "TLV", "to": "JFK"}
    entity = {"identifier": "f1", "blueprint": "flight", "properties": {"route": route}}
    (outcome,) = await store.upsert_entities([entity], owner=OWNER, merge=False)  # type: ignore[list-item]
    assert outcome.ok, outcome.error
    query = {"combinator": "and", "rules": [
        {"property": "$blueprint", "operator": "=", "value": "flight"},
        {"property": "route", "operator": "=", "value": route},
    ]}  # fmt: skip
    found = await store.search(query)
    assert [e["identifier"] for e in found] == ["f1"]
