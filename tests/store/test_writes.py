"""The embedded catalog's write semantics and ownership."""

from __future__ import annotations

from ocean.store.base import Owner, Store

OWNER = Owner("github", "gh-1", "1.0.0")
OTHER = Owner("jira", "jira-1", "2.0.0")
BLUEPRINT = {
    "identifier": "svc",
    "title": "Service",
    "schema": {"properties": {"x": {"type": "number"}, "y": {"type": "number"}}},
    "relations": {},
}


async def test_merge_changes_only_the_fields_sent(store: Store) -> None:
    await store.create_blueprints([BLUEPRINT])
    await store.upsert_entities(
        [{"identifier": "a", "blueprint": "svc", "title": "A", "properties": {"x": 1, "y": 2}}],
        owner=OWNER,
        merge=True,
    )

    await store.upsert_entities(
        [{"identifier": "a", "blueprint": "svc", "properties": {"y": 3}}], owner=OWNER, merge=True
    )

    entity = (await store.get_entities("svc", ["a"]))["a"]
    assert entity["title"] == "A"
    assert entity["properties"] == {"x": 1, "y": 3}


async def test_replace_overwrites_the_entity(store: Store) -> None:
    await store.create_blueprints([BLUEPRINT])
    await store.upsert_entities(
        [{"identifier": "a", "blueprint": "svc", "title": "A", "properties": {"x": 1}}],
        owner=OWNER,
        merge=False,
    )

    await store.upsert_entities(
        [{"identifier": "a", "blueprint": "svc", "properties": {"y": 3}}], owner=OWNER, merge=False
    )

    entity = (await store.get_entities("svc", ["a"]))["a"]
    assert (entity["title"], entity["properties"]) == (None, {"y": 3})


async def test_one_bad_entity_fails_alone_with_its_reason(store: Store) -> None:
    await store.create_blueprints([BLUEPRINT])

    outcomes = await store.upsert_entities(
        [
            {"identifier": "ok", "blueprint": "svc"},
            {"identifier": 5, "blueprint": "svc"},
            {"identifier": "x", "blueprint": "nope"},
        ],
        owner=OWNER,
        merge=True,
    )

    assert [o.ok for o in outcomes] == [True, False, False]
    assert "must be a non-empty string" in (outcomes[1].error or "")
    assert "blueprint 'nope' does not exist" in (outcomes[2].error or "")


async def test_ownership_is_per_writer_ignoring_version(store: Store) -> None:
    await store.create_blueprints([BLUEPRINT])
    await store.upsert_entities([{"identifier": "a", "blueprint": "svc"}], owner=OWNER, merge=True)
    await store.upsert_entities([{"identifier": "b", "blueprint": "svc"}], owner=OTHER, merge=True)
    await store.upsert_entities([{"identifier": "a", "blueprint": "svc"}], owner=OTHER, merge=True)

    newer = Owner("github", "gh-1", "9.9.9")
    assert await store.owned_keys(newer) == {("svc", "a")}
    assert await store.owned_keys(OTHER) == {("svc", "a"), ("svc", "b")}


async def test_created_at_is_kept_and_updated_at_moves(store: Store) -> None:
    await store.create_blueprints([BLUEPRINT])
    await store.upsert_entities(
        [{"identifier": "a", "blueprint": "svc", "title": "1"}], owner=OWNER, merge=True
    )
    first = (await store.get_entities("svc", ["a"]))["a"]

    await store.upsert_entities(
        [{"identifier": "a", "blueprint": "svc", "title": "2"}], owner=OWNER, merge=True
    )

    second = (await store.get_entities("svc", ["a"]))["a"]
    assert second["createdAt"] == first["createdAt"]
    assert second["updatedAt"] >= first["updatedAt"]
    assert await store.owned_keys(OWNER, before="1970-01-01T00:00:00.000Z") == set()


async def test_resync_requests_move_the_watermark(store: Store) -> None:
    assert await store.resync_requested_at("gh-1") is None

    first = await store.request_resync("gh-1")
    second = await store.request_resync("gh-1")

    assert first <= second == await store.resync_requested_at("gh-1")
    assert await store.resync_requested_at("other") is None
