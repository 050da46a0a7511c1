"""The embedded catalog's write semantics and ownership."""

from __future__ import annotations

from typing import Any

import pytest

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


SELF_RELATED = {
    "identifier": "node",
    "title": "Node",
    "schema": {"properties": {}},
    "relations": {"next": {"target": "node", "many": False}},
}
TEAMED = {
    "identifier": "svc",
    "title": "Service",
    "schema": {"properties": {"x": {"type": "number"}, "y": {"type": "number"}}},
    "relations": {"team": {"target": "team", "many": False}},
}


async def _teams(store: Store, *identifiers: str) -> None:
    """The team blueprint and TEAMED, and the teams ``identifiers``."""
    team = {"identifier": "team", "title": "Team", "schema": {"properties": {}}, "relations": {}}
    await store.create_blueprints([team, TEAMED])
    if identifiers:
        teams = [{"identifier": t, "blueprint": "team", "title": t} for t in identifiers]
        await store.upsert_entities(teams, owner=OWNER, merge=True)


@pytest.mark.parametrize(
    ("update", "stored", "related"),
    [
        (  # every field again: the sent body is stored as it is
            {"properties": {"x": 1, "y": 2}, "relations": {"team": "t2"}},
            {"x": 1, "y": 2},
            {"t1": [], "t2": ["a"]},
        ),
        (  # a merge keeps the stored property and the stored relation
            {"properties": {"y": 3}},
            {"x": 1, "y": 3},
            {"t1": ["a"], "t2": []},
        ),
        (  # a merge keeps the stored property and moves the relation
            {"properties": {"y": 3}, "relations": {"team": "t2"}},
            {"x": 1, "y": 3},
            {"t1": [], "t2": ["a"]},
        ),
        ({"properties": None}, {}, {"t1": ["a"], "t2": []}),  # null replaces: none left
        ({"relations": None}, {"x": 1, "y": 2}, {"t1": [], "t2": []}),
    ],
)
async def test_a_merged_update_keeps_what_it_does_not_send_and_moves_its_edges(
    store: Store, update: dict[str, Any], stored: dict[str, int], related: dict[str, list[str]]
) -> None:
    await _teams(store, "t1", "t2")
    first = {"identifier": "a", "blueprint": "svc", "title": "A",
             "properties": {"x": 1, "y": 2}, "relations": {"team": "t1"}}  # fmt: skip
    await store.upsert_entities([first], owner=OWNER, merge=True)

    await store.upsert_entities(
        [{"identifier": "a", "blueprint": "svc", **update}], owner=OWNER, merge=True
    )

    entity = (await store.get_entities("svc", ["a"]))["a"]
    assert (entity["title"], entity["properties"]) == ("A", stored)
    found = await store.dependents([("team", "t1"), ("team", "t2")], after="9999")
    assert {
        t: sorted(i for _, i in found.of.get(("team", t), set())) for t in ("t1", "t2")
    } == related


async def test_a_merge_of_part_of_a_stored_entity_after_a_first_sync_is_checked_merged(
    store: Store,
) -> None:
    required = {"identifier": "repo", "title": "Repo", "schema": {
        "properties": {"url": {"type": "string"}, "stars": {"type": "number"}},
        "required": ["url"]}}  # fmt: skip
    await store.create_blueprints([required])
    full = {"identifier": "r1", "blueprint": "repo", "properties": {"url": "u", "stars": 1}}
    await store.upsert_entities([full], owner=OWNER, merge=True)  # found none stored

    for stars in (2, 3):  # (a failed write must not leave the blueprint taken as new)
        (outcome,) = await store.upsert_entities(
            [{"identifier": "r1", "blueprint": "repo", "properties": {"stars": stars}}],
            owner=OWNER, merge=True,
        )  # fmt: skip
        assert (outcome.status, outcome.error) == ("updated", None)

    stored = (await store.get_entities("repo", ["r1"]))["r1"]["properties"]
    assert stored == {"url": "u", "stars": 3}


@pytest.mark.parametrize(
    ("second", "statuses", "stored", "related"),
    [
        ({"x": 2}, ["created", "updated"], {"x": 2}, {"t1": [], "t2": ["a"]}),
        ({"x": 1}, ["created", "unchanged"], {"x": 1}, {"t1": ["a"], "t2": []}),
    ],
)
async def test_a_key_sent_twice_in_one_batch_is_written_in_order_the_last_kept(
    store: Store,
    second: dict[str, int],
    statuses: list[str],
    stored: dict[str, int],
    related: dict[str, list[str]],
) -> None:
    await _teams(store, "t1", "t2")
    moved = "t2" if second != {"x": 1} else "t1"
    copies = [
        {
            "identifier": "a",
            "blueprint": "svc",
            "properties": {"x": 1},
            "relations": {"team": "t1"},
        },
        {"identifier": "a", "blueprint": "svc", "properties": second, "relations": {"team": moved}},
    ]

    outcomes = await store.upsert_entities(copies, owner=OWNER, merge=True, only_changed=True)

    assert [o.status for o in outcomes] == statuses
    assert (await store.get_entities("svc", ["a"]))["a"]["properties"] == stored
    found = await store.dependents([("team", "t1"), ("team", "t2")], after="9999")
    assert {
        t: sorted(i for _, i in found.of.get(("team", t), set())) for t in ("t1", "t2")
    } == related


async def test_a_key_sent_twice_whose_last_copy_fails_keeps_the_earlier_copy(
    store: Store,
) -> None:
    await _teams(store, "t1")
    copies = [
        {
            "identifier": "a",
            "blueprint": "svc",
            "properties": {"x": 1},
            "relations": {"team": "t1"},
        },
        {
            "identifier": "a",
            "blueprint": "svc",
            "properties": {"x": 2},
            "relations": {"team": "t9"},
        },
    ]

    outcomes = await store.upsert_entities(
        copies, owner=OWNER, merge=True, create_missing_related=False
    )

    assert [o.status for o in outcomes] == ["created", "failed"]
    assert "t9" in str(outcomes[1].error)
    assert (await store.get_entities("svc", ["a"]))["a"]["properties"] == {"x": 1}
    found = await store.dependents([("team", "t1")], after="9999")
    assert found.of.get(("team", "t1")) == {("svc", "a")}


async def test_a_key_sent_twice_whose_earlier_copy_names_a_missing_target_fails_that_copy(
    store: Store,
) -> None:
    await _teams(store, "t1")
    copies = [
        {"identifier": "a", "blueprint": "svc", "relations": {"team": "t9"}},
        {"identifier": "a", "blueprint": "svc", "relations": {"team": "t1"}},
    ]

    outcomes = await store.upsert_entities(
        copies, owner=OWNER, merge=False, create_missing_related=False
    )

    assert [o.status for o in outcomes] == ["failed", "created"]
    assert "t9" in str(outcomes[0].error)
    assert (await store.get_entities("svc", ["a"]))["a"]["relations"] == {"team": "t1"}


@pytest.mark.parametrize(
    ("stored", "later", "statuses", "kept"),
    [
        (None, {"properties": {"y": 2}}, ["failed", "created"], {"properties": {"y": 2}}),
        (
            None,
            {"relations": {"team": "t1"}},
            ["failed", "created"],
            {"relations": {"team": "t1"}},
        ),
        (
            {"properties": {"y": 2}},
            {"properties": {"y": 2}},
            ["failed", "unchanged"],
            {"properties": {"y": 2}},
        ),
        (
            {"title": "A"},
            {"properties": {"y": 2}},
            ["failed", "updated"],
            {"title": "A", "properties": {"y": 2}},
        ),
    ],
    ids=["created", "related", "unchanged", "merged-over-stored"],
)
async def test_a_merged_copy_after_a_failed_one_is_written_over_what_came_before_that_copy(
    store: Store,
    stored: dict[str, Any] | None,
    later: dict[str, Any],
    statuses: list[str],
    kept: dict[str, Any],
) -> None:
    await _teams(store, "t1")
    key = {"identifier": "a", "blueprint": "svc"}
    if stored is not None:
        await store.upsert_entities([{**key, **stored}], owner=OWNER, merge=True)
    failing = {**key, "properties": {"x": 1}, "relations": {"team": "ghost"}}

    outcomes = await store.upsert_entities(
        [failing, {**key, **later}], owner=OWNER, merge=True, only_changed=True,
        create_missing_related=False,
    )  # fmt: skip

    assert [o.status for o in outcomes] == statuses
    assert "ghost" in str(outcomes[0].error)
    entity = (await store.get_entities("svc", ["a"]))["a"]
    assert {name: entity[name] for name in kept} == kept  # type: ignore[literal-required]
    assert entity["properties"].keys() == kept.get("properties", {}).keys()
    found = await store.dependents([("team", "t1")], after="9999")
    assert found.of.get(("team", "t1"), set()) == ({("svc", "a")} if "relations" in kept else set())


async def test_copies_of_a_key_that_fail_make_no_placeholders_for_their_targets(
    store: Store,
) -> None:
    await _teams(store)
    key = {"identifier": "a", "blueprint": "svc"}
    invalid = {**key, "properties": {"x": "not a number"}, "relations": {"team": "ghost"}}
    written = {**key, "relations": {"team": "made"}}

    outcomes = await store.upsert_entities([invalid, written], owner=OWNER, merge=True)

    assert [o.status for o in outcomes] == ["failed", "created"]
    assert (await store.get_entities("team", ["ghost", "made"])).keys() == {"made"}


async def test_a_creation_that_fails_for_a_missing_target_fails_what_relates_to_it(
    store: Store,
) -> None:
    await store.create_blueprints([SELF_RELATED])
    chain = [  # a -> b -> c; c does not exist and is not created
        {"identifier": "a", "blueprint": "node", "relations": {"next": "b"}},
        {"identifier": "b", "blueprint": "node", "relations": {"next": "c"}},
        {"identifier": "x", "blueprint": "node"},
    ]

    outcomes = await store.upsert_entities(
        chain, owner=OWNER, merge=True, create_missing_related=False
    )

    assert [o.status for o in outcomes] == ["failed", "failed", "created"]
    assert "'b'" in str(outcomes[0].error) and "'c'" in str(outcomes[1].error)
    assert (await store.get_entities("node", ["a", "b", "x"])).keys() == {"x"}
    found = await store.dependents([("node", "b"), ("node", "c")], after="9999")
    assert not found.of  # no edge into an entity that does not exist


async def test_a_stored_entity_whose_update_fails_still_exists_for_what_relates_to_it(
    store: Store,
) -> None:
    await store.create_blueprints([SELF_RELATED])
    await store.upsert_entities([{"identifier": "a", "blueprint": "node"}], owner=OWNER, merge=True)
    batch = [  # a's update names a missing target; b relates to a, which is stored
        {"identifier": "a", "blueprint": "node", "relations": {"next": "ghost"}},
        {"identifier": "b", "blueprint": "node", "relations": {"next": "a"}},
    ]

    outcomes = await store.upsert_entities(
        batch, owner=OWNER, merge=True, create_missing_related=False
    )

    assert [o.status for o in outcomes] == ["failed", "created"]
    assert (await store.get_entities("node", ["a", "b"])).keys() == {"a", "b"}


async def test_a_key_sent_twice_whose_copies_both_name_missing_targets_writes_neither(
    store: Store,
) -> None:
    await _teams(store)
    copies = [
        {"identifier": "a", "blueprint": "svc", "relations": {"team": "ghost"}},
        {"identifier": "a", "blueprint": "svc", "relations": {"team": "t9"}},
    ]

    outcomes = await store.upsert_entities(
        copies, owner=OWNER, merge=True, create_missing_related=False
    )

    assert [o.status for o in outcomes] == ["failed", "failed"]
    assert "ghost" in str(outcomes[0].error) and "t9" in str(outcomes[1].error)
    assert await store.get_entities("svc", ["a"]) == {}
