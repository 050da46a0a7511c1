"""Writes prepared ahead of their transaction (the embedded catalog's PreparesWrites)."""

from __future__ import annotations

import pickle

import pytest

from ocean.store.base import Owner
from ocean.store.entity_rules import EntityRules
from ocean.store.plan import plan_batch
from ocean.store.sqlite.store import SQLiteStore
from ocean.store.writes import (
    body_of,
    dumps,
    joined,
    prepare,
    prepared_again,
    write_options,
)

OWNER = Owner("github", "gh-1", "1.0.0")
TEAM = {"identifier": "team", "title": "Team", "schema": {"properties": {}}}
SERVICE = {
    "identifier": "svc",
    "title": "Service",
    "schema": {"properties": {"tier": {"type": "string"}}},
    "relations": {"team": {"target": "team"}},
}
RULES = {"svc": EntityRules(SERVICE)}


def _service(identifier: str, **extra: object) -> dict[str, object]:
    return {"identifier": identifier, "blueprint": "svc", **extra}


def test_joined_pages_number_their_entities_in_order() -> None:
    first = prepare([_service("a"), _service("")], RULES)
    second = prepare([_service("b", relations={"team": "core"})], RULES)

    whole = joined([first, second])

    assert whole is not None and whole.size == 3
    assert list(zip(whole.indexes, whole.keys, strict=True)) == [
        (0, ("svc", "a")),
        (2, ("svc", "b")),
    ]
    assert [outcome.index for outcome in whole.failed] == [1]
    assert whole.texts[1] == '{"relations":{"team":"core"}}'
    assert whole.checks[1] == ([], [("team", "team", "core")])


def test_pages_prepared_against_different_rules_are_not_joined() -> None:
    newer = {"svc": EntityRules(SERVICE)}

    assert joined([prepare([_service("a")], RULES), prepare([_service("b")], newer)]) is None


async def test_a_write_prepared_before_its_blueprint_changed_is_checked_again(
    sqlite_store: SQLiteStore,
) -> None:
    await sqlite_store.create_blueprints([TEAM, SERVICE])
    assert sqlite_store.prepare_writes([_service("a")]) is None  # no rules read yet
    await sqlite_store.upsert_entities([_service("seed")], owner=OWNER, merge=False)
    entities = [_service("a", properties={"tier": 1})]
    prepared = sqlite_store.prepare_writes(entities)
    assert prepared is not None  # under the blueprint of now, a text tier is fine

    await sqlite_store.update_blueprint(
        "svc", {"schema": {"properties": {"tier": {"type": "number"}}}}
    )
    (outcome,) = await sqlite_store.upsert_prepared(entities, prepared, owner=OWNER, merge=False)

    assert outcome.status == "created"


@pytest.mark.parametrize("crossed", [False, True], ids=["here", "from-another-process"])
def test_a_batch_prepared_again_by_newer_rules_is_as_if_prepared_by_them(crossed: bool) -> None:
    entities = [
        _service("a", title="A", properties={"tier": 1}),
        _service(""),
        _service("b", relations={"team": "core"}),
        _service("c", icon="Github", properties={"tier": None}, relations={"team": None}),
    ]
    batch = prepare(entities, RULES, stamp=4)  # "a"'s tier is wrong by these
    newer = {**SERVICE, "schema": {"properties": {"tier": {"type": "number"}}}}
    rules = {"svc": EntityRules({**newer, "relations": {"lead": {"target": "team"}}})}

    again = prepared_again(pickle.loads(pickle.dumps(batch)) if crossed else batch, rules, 5)

    expected = prepare(entities, rules, stamp=5)
    assert (again.indexes, again.keys, again.texts, again.size, again.stamp) == (
        expected.indexes,
        expected.keys,
        expected.texts,
        expected.size,
        expected.stamp,
    )
    assert [(p, [tuple(e) for e in edges]) for p, edges in again.checks] == expected.checks
    assert [(o.index, o.error) for o in again.failed] == [
        (o.index, o.error) for o in expected.failed
    ]


def test_a_batch_checked_again_keeps_its_texts_and_fails_what_a_gone_blueprint_held() -> None:
    entities = [_service("a", properties={"tier": 2**70}), {"identifier": "t", "blueprint": "team"}]
    batch = prepare(entities, {**RULES, "team": EntityRules(TEAM)}, stamp=1)  # type: ignore[list-item]

    again = prepared_again(batch, RULES, 2)  # the team blueprint is gone

    assert again.texts == ['{"properties":{"tier":1180591620717411303424}}']
    assert again.checks == [RULES["svc"].checked({"properties": {"tier": 2**70}})]
    assert [(o.index, o.identifier, o.status) for o in again.failed] == [(1, "t", "failed")]
    assert "blueprint 'team' does not exist" in str(again.failed[0].error)


@pytest.mark.parametrize(
    "entity",
    [
        _service(
            "plain", title="A", team=["x"], properties={"tier": "gold"}, relations={"team": "core"}
        ),
        _service("bad-property", properties={"tier": 3}),
        _service("unknown-relation", relations={"owner": "core"}),
        _service(
            "icon-and-nulls", icon="Github", properties={"tier": None}, relations={"team": None}
        ),
    ],
    ids=["plain", "bad-property", "unknown-relation", "icon-and-nulls"],
)
def test_a_prepared_text_and_verdict_are_the_bodys_whatever_the_quick_check_says(
    entity: dict[str, object],
) -> None:
    batch = prepare([entity], RULES)

    body = RULES["svc"].defined(body_of(entity), computed=True)  # type: ignore[arg-type]
    assert batch.texts == [dumps(body)]  # (what the blueprint does not define dropped)
    assert batch.checks == [RULES["svc"].checked(body)]


@pytest.mark.parametrize("identifier", ["a", 2**70], ids=["json-keys", "a-key-json-cannot-hold"])
def test_a_batch_crosses_processes_whole_without_its_rules(identifier: object) -> None:
    batch = prepare([_service("x", relations={"team": "core"}), _service("")], RULES)
    batch.keys[0] = ("svc", identifier)  # type: ignore[assignment]

    copy = pickle.loads(pickle.dumps(batch))

    assert copy.rules == {}
    assert (copy.indexes, copy.keys, copy.texts, copy.size) == (
        batch.indexes,
        batch.keys,
        batch.texts,
        batch.size,
    )
    assert [
        (problems, [tuple(e) for e in edges]) for problems, edges in copy.checks
    ] == batch.checks
    assert [outcome.index for outcome in copy.failed] == [1]


@pytest.mark.parametrize(
    ("stored_team", "sent_team", "asked"),
    [
        (None, "core", {("team", "core")}),  # a creation: its target may not exist
        ("core", "core", set()),  # an update keeping its edge: its target exists
        ("core", "infra", {("team", "infra")}),  # an update moving it: the new one is asked
    ],
)
def test_a_plan_asks_about_the_targets_of_new_edges_only(
    stored_team: str | None, sent_team: str, asked: set[tuple[str, str]]
) -> None:
    sent = _service("a", properties={"tier": "gold"}, relations={"team": sent_team})
    stored = {}
    if stored_team is not None:
        old = _service("a", properties={"tier": "bronze"}, relations={"team": stored_team})
        stored[("svc", "a")] = dumps(body_of(old))
    options = write_options(merge=True, only_changed=True, create_missing_related=False)

    plan = plan_batch(prepare([sent], RULES), stored, options, RULES)

    assert [write.key for write in plan.writes] == [("svc", "a")]
    assert plan.targets() == asked
