"""A blueprint change that removes a property or relation: its data leaves the stored
entities (as in Port), which stay writable by a merge."""

from __future__ import annotations

from typing import Any

from ocean.store.base import Store
from ocean.store.entity_rules import EntityRules
from ocean.store.plan import plan_batch
from ocean.store.writes import dumps, loads, prepare, write_options
from tests.store.test_model import OWNER, SERVICE, TEAM

LEGACY = {
    **SERVICE,
    "schema": {
        **SERVICE["schema"],
        "properties": SERVICE["schema"]["properties"] | {"legacy": {"type": "string"}},
    },
}


def _service(identifier: str, **extra: Any) -> dict[str, Any]:
    return {"identifier": identifier, "blueprint": "service", "properties": {"url": "https://x"}} | extra  # fmt: skip


async def _merge(store: Store, *entities: dict[str, Any]) -> list[Any]:
    return await store.upsert_entities(
        list(entities), owner=OWNER, merge=True, create_missing_related=True
    )  # type: ignore[arg-type]


async def test_a_removed_property_and_relation_leave_the_stored_entities(store: Store) -> None:
    await store.create_blueprints([TEAM, LEGACY])
    await _merge(
        store,
        _service(
            "a",
            properties={"url": "https://x", "legacy": "x", "stars": 1},
            relations={"team": "core", "depends": ["b"]},
        ),  # fmt: skip
        _service("b", properties={"url": "https://legacy"}),  # the name as a value
    )

    await store.update_blueprint(
        "service",
        {
            "schema": SERVICE["schema"],
            "relations": {"depends": SERVICE["relations"]["depends"]},
        },  # fmt: skip
    )

    stored = await store.get_entities("service", ["a", "b"])
    assert stored["a"]["properties"] == {"url": "https://x", "stars": 1}
    assert stored["a"]["relations"] == {"depends": ["b"]}
    assert stored["b"]["properties"] == {"url": "https://legacy"}
    after = "2000-01-01T00:00:00.000Z"
    assert (await store.dependents([("team", "core")], after=after)).of == {}
    assert (await store.dependents([("service", "b")], after=after)).of == {
        ("service", "b"): {("service", "a")}
    }


async def test_an_entity_stays_writable_by_a_merge_after_its_property_is_removed(
    store: Store,
) -> None:
    await store.create_blueprints([TEAM, LEGACY])
    await _merge(store, _service("a", properties={"url": "https://x", "legacy": "x"},
                                 relations={"team": "core"}))  # fmt: skip
    await store.update_blueprint("service", {"schema": SERVICE["schema"], "relations": {}})

    outcomes = await _merge(store, _service("a", properties={"stars": 2}))

    assert outcomes[0].ok, outcomes[0].error
    stored = (await store.get_entities("service", ["a"]))["a"]
    assert stored["properties"] == {"url": "https://x", "stars": 2}
    assert stored["relations"] == {}


def test_a_merge_keeps_only_what_the_blueprint_defines_of_the_stored_body() -> None:
    """A body stored with a key its blueprint no longer defines (before the change took
    removed data out of bodies) is merged without it."""
    rules = {"service": EntityRules(SERVICE), "team": EntityRules(TEAM)}
    old = {"properties": {"url": "https://x", "legacy": "x"}, "relations": {"owner": "core"}}
    batch = prepare([_service("a", properties={"stars": 2})], rules)  # type: ignore[list-item]

    plan = plan_batch(batch, {("service", "a"): dumps(old)}, write_options(True, True, True), rules)

    assert [o.error for o in plan.outcomes] == []
    assert [loads(w.text) for w in plan.writes] == [
        {"properties": {"url": "https://x", "stars": 2}, "relations": {}}
    ]


async def test_a_removed_relation_whose_name_json_escapes_leaves_the_bodies(store: Store) -> None:
    odd = 'owner "x"'
    await store.create_blueprints([TEAM, SERVICE | {"relations": {odd: {"target": "team"}}}])
    await _merge(store, _service("a", relations={odd: "core"}))

    await store.update_blueprint("service", {"relations": {}})

    assert (await store.get_entities("service", ["a"]))["a"]["relations"] == {}
