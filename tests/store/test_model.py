"""Port's data model in the catalog: validation, relations, placeholders, dependents."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from ocean.errors import ConflictError, StoreError
from ocean.store.base import Dependents, Owner, RechecksOwnership, RunRecord, Store, now_iso
from ocean.types import EntityKey

OWNER = Owner("github", "gh-1", "1.0.0")
TEAM = {"identifier": "team", "title": "Team", "schema": {"properties": {}}, "relations": {}}
SERVICE = {
    "identifier": "service",
    "title": "Service",
    "schema": {
        "properties": {
            "url": {"type": "string", "format": "url"},
            "stars": {"type": "number"},
            "tier": {"type": "string", "enum": ["gold", "silver"]},
            "tags": {"type": "array", "items": {"type": "string"}},
            "owner_email": {"type": "string", "format": "email"},
        },
        "required": ["url"],
    },
    "relations": {
        "team": {"target": "team", "required": False, "many": False},
        "depends": {"target": "service", "required": False, "many": True},
    },
}


async def _upsert(store: Store, *entities: dict[str, Any], create_missing: bool = True):  # type: ignore[no-untyped-def]
    return await store.upsert_entities(
        list(entities), owner=OWNER, merge=True, create_missing_related=create_missing
    )  # type: ignore[arg-type]


def _service(identifier: str, **extra: Any) -> dict[str, Any]:
    return {
        "identifier": identifier,
        "blueprint": "service",
        "properties": {"url": "https://x"},
    } | extra


@pytest.mark.parametrize(
    ("entity", "message"),
    [
        pytest.param(
            _service("a", properties={"url": "https://x", "stars": "many"}),
            "property 'stars': expected number, got string 'many'",
            id="type",
        ),
        pytest.param(
            _service("a", properties={"url": "https://x", "stars": True}),
            "expected number, got boolean",
            id="bool-is-not-number",
        ),
        pytest.param(
            _service("a", properties={"url": "not a url"}),
            "'not a url' is not a valid url",
            id="format",
        ),
        pytest.param(
            _service("a", properties={"url": "https://x", "tier": "bronze"}),
            "'bronze' is not one of ['gold', 'silver']",
            id="enum",
        ),
        pytest.param(
            _service("a", properties={"url": "https://x", "tags": ["a", 1]}),
            "expected string, got number 1",
            id="array-items",
        ),
        pytest.param(
            _service("a", properties={"stars": 1}),
            "property 'url' is required but missing",
            id="required",
        ),
        pytest.param(
            _service("a", relations={"team": ["x", "y"]}),
            "relation 'team' is single: expected one identifier",
            id="single-relation",
        ),
        pytest.param(
            _service("a", relations={"depends": "b"}),
            "relation 'depends' is many: expected a list",
            id="many-relation",
        ),
        pytest.param(_service("has space"), "may hold only letters, digits", id="identifier-rules"),
        pytest.param(
            _service("a", relations={"team": "has space"}),
            "relation 'team': identifier 'has space' may hold only letters",
            id="relation-value-rules",
        ),
        pytest.param(
            _service("a", relations={"depends": ["b", ""]}),
            "relation 'depends': identifier '' must be a non-empty string",
            id="relation-value-empty",
        ),
        pytest.param(
            _service("a", team=5), "team must be a string or a list of strings", id="team"
        ),
    ],
)
async def test_invalid_entities_fail_alone_with_a_precise_reason(
    store: Store, entity: dict[str, Any], message: str
) -> None:
    await store.create_blueprints([TEAM, SERVICE])

    outcomes = await _upsert(store, _service("fine"), entity)

    assert outcomes[0].ok
    assert not outcomes[1].ok and message in (outcomes[1].error or ""), outcomes[1].error


@pytest.mark.parametrize(
    "sent",
    [
        pytest.param({"properties": {"url": "https://x", "prNumber": 7}}, id="property"),
        pytest.param(
            {"properties": {"url": "https://x"}, "relations": {"owner": "x"}}, id="relation"
        ),
        pytest.param(  # not the usual body (a NaN): checked the long way
            {"properties": {"url": "https://x", "prNumber": float("nan")}}, id="long-way"
        ),
    ],
)
@pytest.mark.parametrize("merge", [False, True])
async def test_what_the_blueprint_does_not_define_is_dropped_not_refused(
    store: Store, sent: dict[str, Any], merge: bool
) -> None:
    """As Port takes them: the original's GitHub mapping sends ``prNumber`` to a blueprint
    without it, the fake integration ``name`` and ``department``."""
    await store.create_blueprints([TEAM, SERVICE])
    if merge:
        await _upsert(store, _service("a", properties={"url": "https://old", "stars": 2}))

    outcomes = await store.upsert_entities([_service("a", **sent)], owner=OWNER, merge=merge)

    stored = (await store.get_entities("service", ["a"]))["a"]
    assert outcomes[0].ok, outcomes[0].error
    assert "prNumber" not in stored.get("properties", {})
    assert "owner" not in (stored.get("relations") or {})
    assert stored["properties"]["url"] == "https://x"


async def test_null_values_clear_fields_instead_of_failing(store: Store) -> None:
    await store.create_blueprints([TEAM, SERVICE])
    await _upsert(store, _service("a", properties={"url": "https://x", "stars": 3}))

    outcomes = await _upsert(
        store,
        _service("a", properties={"url": "https://x", "stars": None}, relations={"team": None}),
    )

    assert outcomes[0].ok
    assert (await store.get_entities("service", ["a"]))["a"]["properties"]["stars"] is None


@pytest.mark.parametrize("stars", [2**64 + 1, -(2**63) - 1, 2**63])
async def test_integers_beyond_64_bits_are_kept_exact_through_a_merge(
    store: Store, stars: int
) -> None:
    await store.create_blueprints([TEAM, SERVICE])
    await _upsert(store, _service("a", properties={"url": "https://x", "stars": stars}))

    await _upsert(store, _service("a", title="A", properties={"url": "https://y"}))  # merged

    stored = (await store.get_entities("service", ["a"]))["a"]
    assert stored["properties"] == {"url": "https://y", "stars": stars}
    assert type(stored["properties"]["stars"]) is int


async def test_missing_relation_target_becomes_a_placeholder(store: Store) -> None:
    await store.create_blueprints([TEAM, SERVICE])

    outcomes = await _upsert(
        store, _service("a", relations={"team": "core", "depends": ["b"]}), _service("b")
    )

    assert all(o.ok for o in outcomes)
    placeholder = (await store.get_entities("team", ["core"]))["core"]
    assert placeholder["title"] == "core"
    assert ("team", "core") in await store.owned_keys(OWNER)


async def test_no_placeholder_is_made_for_a_relation_value_no_identifier_may_be(
    store: Store,
) -> None:
    await store.create_blueprints([TEAM, SERVICE])

    outcomes = await _upsert(
        store,
        _service("a", relations={"team": ".."}),
        _service("b", relations={"depends": ["c d", "ok"]}),
    )

    assert [o.ok for o in outcomes] == [False, False]
    assert await store.get_entities("team", [".."]) == {}
    assert await store.get_entities("service", ["b", "c d", "ok"]) == {}


async def test_values_beyond_the_schema_limits_are_refused(store: Store) -> None:
    limited = TEAM | {"schema": {"properties": {
        "name": {"type": "string", "maxLength": 3, "pattern": "^[a-z]+$"},
        "size": {"type": "number", "minimum": 1},
        "tags": {"type": "array", "maxItems": 1},
    }}}  # fmt: skip
    await store.create_blueprints([limited])

    outcomes = await store.upsert_entities(
        [
            {"identifier": "t1", "blueprint": "team", "properties": {"name": "abcd"}},
            {"identifier": "t2", "blueprint": "team", "properties": {"name": "AB"}},
            {"identifier": "t3", "blueprint": "team", "properties": {"size": 0}},
            {"identifier": "t4", "blueprint": "team", "properties": {"tags": [1, 2]}},
            {"identifier": "t5", "blueprint": "team", "properties": {"name": "ab", "size": 1}},
        ],
        owner=OWNER,
        merge=True,
    )

    assert [o.ok for o in outcomes] == [False, False, False, False, True]
    assert "more than maxLength 3" in (outcomes[0].error or "")
    assert "does not match the pattern" in (outcomes[1].error or "")
    assert "must be at least 1 (minimum)" in (outcomes[2].error or "")
    assert "more than maxItems 1" in (outcomes[3].error or "")


async def test_missing_relation_target_fails_without_create_missing(store: Store) -> None:
    await store.create_blueprints([TEAM, SERVICE])

    outcomes = await _upsert(
        store, _service("a", relations={"team": "ghost"}), _service("b"), create_missing=False
    )

    assert [o.ok for o in outcomes] == [False, True]
    assert (outcomes[0].error or "").startswith("not_found: relation 'team' targets team 'ghost'")
    assert await store.get_entities("team", ["ghost"]) == {}


async def test_deleting_with_dependents_cascades(store: Store) -> None:
    await store.create_blueprints([TEAM, SERVICE])
    await _upsert(
        store,
        _service("a", relations={"team": "core"}),
        _service("b", relations={"depends": ["a"]}),
        _service("c"),
    )

    result = await store.delete_entities([("team", "core")], delete_dependents=True)

    assert result.deleted == [("service", "a"), ("service", "b"), ("team", "core")]
    assert sorted(await store.owned_keys(OWNER)) == [("service", "c")]


async def test_deleting_without_dependents_keeps_what_is_still_used(store: Store) -> None:
    await store.create_blueprints([TEAM, SERVICE])
    await _upsert(store, _service("a", relations={"team": "core"}), _service("c"))

    result = await store.delete_entities(
        [("team", "core"), ("service", "c")], delete_dependents=False
    )

    assert result.deleted == [("service", "c")]
    assert result.blocked == {("team", "core"): [("service", "a")]}


async def test_deleting_without_dependents_keeps_what_a_kept_entity_relates_to(
    store: Store,
) -> None:
    await store.create_blueprints([TEAM, SERVICE])
    await _upsert(
        store,
        _service("a", relations={"team": "core"}),  # a: to delete, but x stays relating to it
        _service("x", relations={"depends": ["a"]}),
    )

    result = await store.delete_entities(
        [("service", "a"), ("team", "core")], delete_dependents=False
    )

    assert result.deleted == []  # core stays: a, kept, still relates to it
    assert result.blocked == {
        ("service", "a"): [("service", "x")],
        ("team", "core"): [("service", "a")],
    }
    assert (await store.get_entities("team", ["core"])).keys() == {"core"}


async def test_a_deletion_keeps_what_was_written_after_the_moment_it_is_given(
    store: Store,
) -> None:
    await store.create_blueprints([TEAM, SERVICE])
    await _upsert(store, _service("a", relations={"team": "core"}), _service("b"))
    await asyncio.sleep(0.002)  # the plan is made a millisecond later
    planned = now_iso()
    await asyncio.sleep(0.002)  # a later millisecond
    await _upsert(store, _service("a", title="A", relations={"team": "core"}))  # a live event

    result = await store.delete_entities(
        [("service", "a"), ("service", "b"), ("team", "core")],
        delete_dependents=False,
        written_before=planned,
    )

    assert result.deleted == [("service", "b")]
    assert result.written == [("service", "a")]
    assert result.blocked == {("team", "core"): [("service", "a")]}  # a, kept, relates to it


async def test_a_deletion_keeps_what_was_written_in_the_moment_it_is_given(
    store: Store,
) -> None:
    await store.create_blueprints([TEAM, SERVICE])
    await _upsert(store, _service("a"))
    written = (await store.get_entities("service", ["a"]))["a"]["updatedAt"]

    result = await store.delete_entities(
        [("service", "a")], delete_dependents=False, written_before=written
    )

    assert (result.deleted, result.written) == ([], [("service", "a")])


_X = _service("x", relations={"depends": ["a"]})
_Y = _service("y", relations={"depends": ["x"]})


@pytest.mark.parametrize(
    ("meanwhile", "kept"),
    [
        pytest.param([_service("a", title="A")], "spared", id="its-cause-written"),
        pytest.param([_service("z", relations={"depends": ["a"]})], "spared", id="related-to"),
        pytest.param([_service("b", title="B")], None, id="another-written"),
        pytest.param([_service("a", title="A"), _Y | {"title": "Y"}], "written", id="both"),
    ],
)
async def test_a_deletion_spares_what_a_cascade_took_for_an_entity_touched_meanwhile(
    store: Store, meanwhile: list[dict[str, Any]], kept: str | None
) -> None:
    await store.create_blueprints([TEAM, SERVICE])
    await _upsert(store, _service("a"), _service("b"), _X, _Y)  # y -> x -> a, a stale
    await asyncio.sleep(0.002)
    planned = now_iso()
    await asyncio.sleep(0.002)
    await _upsert(store, *meanwhile)  # a live event after the plan, before y's chunk

    result = await store.delete_entities(
        [("service", "y")],
        delete_dependents=False,
        written_before=planned,
        causes={("service", "y"): [("service", "x")], ("service", "x"): [("service", "a")]},
    )

    assert (result.spared, result.written) == (
        [("service", "y")] if kept == "spared" else [],
        [("service", "y")] if kept == "written" else [],
    )  # one reason each
    assert result.deleted == ([] if kept else [("service", "y")])
    assert ("y" in await store.get_entities("service", ["y"])) is bool(kept)


async def test_causes_are_refused_without_the_moment_they_are_checked_against(
    store: Store,
) -> None:
    with pytest.raises(ValueError, match="give both"):
        await store.delete_entities(
            [("service", "a")], delete_dependents=False, causes={("service", "a"): [("team", "t")]}
        )


async def test_written_before_is_refused_for_a_deletion_with_dependents(store: Store) -> None:
    with pytest.raises(ValueError, match="without dependents only"):
        await store.delete_entities([("service", "a")], written_before=now_iso())


async def test_a_write_with_more_edges_than_one_statement_holds_keeps_them_all(
    store: Store,
) -> None:
    await store.create_blueprints([TEAM, SERVICE])
    services = [
        _service(f"s{i}", relations={"team": "core", "depends": ["s0"]}) for i in range(450)
    ]
    await _upsert(store, *services)

    result = await store.delete_entities([("team", "core")], delete_dependents=False)

    assert result.blocked == {
        ("team", "core"): [("service", f"s{i}") for i in sorted(range(450), key=str)]
    }
    assert ("service", "s0") in (await _dependents(store, [("service", "s0")])).of


async def test_dependents_name_who_relates_to_each_target_and_who_was_written_since(
    store: Store,
) -> None:
    await store.create_blueprints([TEAM, SERVICE])
    await _upsert(
        store,
        _service("a", relations={"team": "core"}),
        _service("b", relations={"team": "core"}),
        _service("c", relations={"team": "infra", "depends": ["d"]}),
        _service("d"),
    )

    keys = [("team", "core"), ("team", "infra"), ("service", "c"), ("service", "d")]
    found = await _dependents(store, keys)

    assert found.of == {
        ("team", "core"): {("service", "a"), ("service", "b")},
        ("team", "infra"): {("service", "c")},
        ("service", "d"): {("service", "c")},
    }
    assert found.fresh == {("service", "a"), ("service", "b"), ("service", "c")}
    assert (await store.dependents(keys, after="2999-01-01T00:00:00.000Z")).fresh == set()


async def test_owned_among_names_the_given_keys_the_owner_still_owns(store: Store) -> None:
    await store.create_blueprints([TEAM, SERVICE])
    await _upsert(store, _service("a"), _service("b"))
    other = Owner("github", "gh-2", "1.0.0")
    await store.upsert_entities([_service("c")], owner=other, merge=True)
    keys = [("service", "a"), ("service", "c"), ("service", "gone")]

    assert isinstance(store, RechecksOwnership)
    assert await store.owned_among(OWNER, keys) == {("service", "a")}
    assert await store.owned_among(OWNER, keys, before="2000-01-01T00:00:00.000Z") == set()


async def test_an_entity_related_anew_no_longer_holds_its_old_target(store: Store) -> None:
    await store.create_blueprints([TEAM, SERVICE])
    await _upsert(store, _service("a", relations={"team": "core", "depends": ["b", "c"]}))

    await _upsert(store, _service("a", relations={"team": "infra", "depends": ["c"]}))

    old = [("team", "core"), ("service", "b")]
    assert (await _dependents(store, old)).of == {}
    assert set((await _dependents(store, [("team", "infra"), ("service", "c")])).of) == {
        ("team", "infra"),
        ("service", "c"),
    }
    result = await store.delete_entities(old, delete_dependents=False)
    assert result.deleted == sorted(old) and not result.blocked


async def test_deleting_an_entity_takes_its_relations_with_it(store: Store) -> None:
    await store.create_blueprints([TEAM, SERVICE])
    await _upsert(store, _service("a", relations={"team": "core"}))

    await store.delete_entities([("service", "a")], delete_dependents=False)

    assert (await _dependents(store, [("team", "core")])).of == {}


async def test_a_relation_given_a_new_target_relates_existing_entities_to_it(
    store: Store,
) -> None:
    squad = TEAM | {"identifier": "squad", "title": "Squad"}
    await store.create_blueprints([TEAM, squad, SERVICE])
    await _upsert(store, _service("a", relations={"team": "core"}))
    await store.upsert_entities(
        [{"identifier": "core", "blueprint": "squad", "title": "Core"}], owner=OWNER, merge=True
    )

    relations = SERVICE["relations"] | {"team": {"target": "squad", "many": False}}
    await store.update_blueprint("service", {"relations": relations})

    assert (await _dependents(store, [("team", "core")])).of == {}
    assert (await _dependents(store, [("squad", "core")])).of == {
        ("squad", "core"): {("service", "a")}
    }


async def test_a_relation_given_a_target_its_entities_name_nothing_in_is_refused(
    store: Store,
) -> None:
    squad = TEAM | {"identifier": "squad", "title": "Squad"}
    await store.create_blueprints([TEAM, squad, SERVICE])
    await _upsert(store, _service("a", relations={"team": "core"}))

    relations = SERVICE["relations"] | {"team": {"target": "squad", "many": False}}
    with pytest.raises(ConflictError, match="squad 'core'.*create those first"):
        await store.update_blueprint("service", {"relations": relations})

    blueprints = {bp["identifier"]: bp for bp in await store.list_blueprints()}
    assert blueprints["service"]["relations"]["team"]["target"] == "team"  # unchanged
    assert (await _dependents(store, [("team", "core")])).of == {
        ("team", "core"): {("service", "a")}
    }


@pytest.mark.parametrize(
    ("blueprint", "message"),
    [
        pytest.param({"identifier": "x", "schema": {}}, "title must be a string", id="title"),
        pytest.param({"identifier": "x y", "title": "X"}, "may hold only letters", id="identifier"),
        pytest.param(
            {"identifier": "x", "title": "X", "schema": {"properties": {"p": {"type": "date"}}}},
            "needs a type among",
            id="property-type",
        ),
        *(
            pytest.param({"identifier": "x", "title": "X", "schema": schema}, message, id=name)
            for name, schema, message in [
                (
                    "type-list",
                    {"properties": {"p": {"type": ["string", "null"]}}},
                    "needs a type among",
                ),
                (
                    "format-list",
                    {"properties": {"p": {"type": "string", "format": ["a"]}}},
                    "format must be a string",
                ),
                (
                    "items-type-list",
                    {"properties": {"p": {"type": "array", "items": {"type": ["x"]}}}},
                    "items needs a type",
                ),
                (
                    "items-format",
                    {"properties": {"p": {"type": "array", "items": {"format": {}}}}},
                    "items: format must be a string",
                ),
                (
                    "items-not-object",
                    {"properties": {"p": {"type": "array", "items": 3}}},
                    "items needs a type",
                ),
                (
                    "enum",
                    {"properties": {"p": {"type": "string", "enum": "a"}}},
                    "enum must be a list",
                ),
                (
                    "limit-type",
                    {"properties": {"p": {"type": "string", "maxLength": "5"}}},
                    "maxLength must be a whole number >= 0",
                ),
                (
                    "bound-type",
                    {"properties": {"p": {"type": "number", "minimum": "0"}}},
                    "minimum must be a number",
                ),
                (
                    "pattern-type",
                    {"properties": {"p": {"type": "array", "items": {"pattern": 5}}}},
                    "items: pattern must be a string",
                ),
                (
                    "required-number",
                    {"properties": {}, "required": 5},
                    "schema.required must be a list",
                ),
                (
                    "required-nested",
                    {"properties": {"p": {"type": "string"}}, "required": [["p"]]},
                    "schema.required must be a list",
                ),
            ]
        ),  # fmt: skip
        pytest.param(
            {"identifier": "x", "title": "X", "relations": {"r": {"target": "nowhere"}}},
            "targets blueprint 'nowhere'",
            id="relation-target",
        ),
        pytest.param(
            {
                "identifier": "x",
                "title": "X",
                "relations": {"r": {"target": "x", "many": True, "required": True}},
            },
            "both many and required",
            id="many-required",
        ),
    ],
)
async def test_invalid_blueprints_are_rejected_with_every_problem(
    store: Store, blueprint: dict[str, Any], message: str
) -> None:
    with pytest.raises(StoreError, match="blueprints rejected") as raised:
        await store.create_blueprints([blueprint])

    assert message in str(raised.value)
    assert await store.list_blueprints() == []


async def test_blueprints_keep_mirror_calculation_and_aggregation_properties(
    store: Store,
) -> None:
    extras = {
        "mirrorProperties": {"m": {"path": "team.$title"}},
        "calculationProperties": {"c": {"calculation": ".title", "type": "string"}},
        "aggregationProperties": {},
    }
    await store.create_blueprints([TEAM, {**SERVICE, **extras}])

    stored = {bp["identifier"]: bp for bp in await store.list_blueprints()}

    assert stored["service"]["mirrorProperties"] == extras["mirrorProperties"]
    assert stored["service"]["calculationProperties"] == extras["calculationProperties"]


async def test_a_run_is_recorded_running_then_updated_to_its_end(store: Store) -> None:
    started = "2026-11-27T10:00:00.000Z"
    run_id = await store.record_run(RunRecord("gh", "manual", started, None, "running", {}))
    await store.record_run(
        RunRecord(
            "gh", "manual", started, "2026-11-27T10:01:00.000Z", "completed", {"n": 1}, id=run_id
        )
    )

    [run] = await store.list_runs()
    assert (run.id, run.status, run.ended_at, run.report) == (
        run_id,
        "completed",
        "2026-11-27T10:01:00.000Z",
        {"n": 1},
    )


async def test_the_last_completed_run_is_the_newest_full_resync_of_the_integration_that_completed(
    store: Store,
) -> None:
    at = "2026-11-27T10:00:00.000Z"
    assert await store.last_completed_run("gh") is None
    for integration, status, report in [
        ("gh", "completed", {"n": 1, "kinds": []}),
        ("gh", "completed", {"n": 2, "mode": "full", "kinds": []}),
        ("gh", "failed", {"n": 3, "kinds": []}),
        ("gh", "completed", {"n": 4, "mode": "incremental", "kinds": []}),
        ("other", "completed", {"n": 5, "kinds": []}),
        ("gh", "running", {"n": 6, "kinds": []}),
        ("gh", "completed", {"n": 7}),  # a state a Port API client recorded: no kinds
    ]:
        await store.record_run(RunRecord(integration, "manual", at, at, status, report))

    last = await store.last_completed_run("gh")

    assert last is not None and last.report == {"n": 2, "mode": "full", "kinds": []}


async def test_integration_records_are_kept_and_replaced(store: Store) -> None:
    assert await store.get_integration("gh") is None
    await store.save_integration("gh", {"installationId": "gh", "config": {"resources": []}})
    await store.save_integration("gh", {"installationId": "gh", "version": "2"})
    assert await store.get_integration("gh") == {"installationId": "gh", "version": "2"}


async def _dependents(store: Store, keys: list[EntityKey]) -> Dependents:
    return await store.dependents(keys, after="2000-01-01T00:00:00.000Z")
