"""``ocean.port_client`` over the embedded catalog: the running integration's record, the
organization's feature flags, and entities an integration writes and searches itself."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from ocean.listen.once import start
from ocean.mapping import to_document
from ocean.sail import Sail, prepare
from ocean.store.base import Owner
from ocean.store.sqlite.store import SQLiteStore
from port_ocean._unsupported import UnsupportedAttributeError
from port_ocean.clients.port.client import PortClient
from port_ocean.clients.port.types import RequestOptions, UserAgentType
from port_ocean.core.models import Entity
from tests.port_ocean.folders import folder_of

WRITE = RequestOptions(
    merge=True,
    create_missing_related_entities=False,
    delete_dependent_entities=False,
    validation_only=False,
)
CHECK = WRITE | {"validation_only": True}
OTHER = Owner("other", "other-integration")


@pytest.fixture
async def started(tmp_path: Path) -> AsyncIterator[tuple[Any, SQLiteStore, Sail]]:
    """The original-style folder started on an embedded catalog: its ``ocean``, the
    catalog, and the run."""
    sail = prepare(folder_of(tmp_path), environ={}, overrides={})
    store = await SQLiteStore.open(tmp_path / "c.db")
    try:
        await start(sail, store)
        yield sail.folder.integration, store, sail
    finally:
        await store.close()


def _entity(identifier: str, **fields: Any) -> Entity:
    return Entity(identifier=identifier, blueprint=fields.pop("blueprint", "project"), **fields)


@pytest.mark.parametrize(
    "kept",
    [
        None,
        {"config": {"resources": []}, "version": "0.0.1", "resyncState": {"status": "completed"}},
    ],
    ids=["no-record", "docked-record"],
)
async def test_the_current_integration_is_the_running_one_over_what_the_catalog_keeps(
    started: tuple[Any, SQLiteStore, Sail], kept: dict[str, Any] | None
) -> None:
    ocean, store, sail = started
    if kept is not None:
        await store.save_integration(sail.owner.identifier, kept)

    record = await ocean.port_client.get_current_integration()

    assert record["identifier"] == record["installationId"] == sail.owner.identifier
    assert (record["installationAppType"], record["version"]) == ("original-style", "0.1.0")
    assert record["config"] == to_document(sail.folder.mapping)  # the mapping it runs with
    assert (record["_orgId"], record["installationType"]) == ("ocean", "OnPrem")
    assert record.get("resyncState") == (kept or {}).get("resyncState")


async def test_the_embedded_organization_has_no_feature_flags(
    started: tuple[Any, SQLiteStore, Sail],
) -> None:
    ocean, _, _ = started

    assert await ocean.port_client.get_organization_feature_flags() == []
    assert await ocean.port_client.get_org_id() == "ocean"


async def test_the_embedded_organization_has_the_feature_flags_its_settings_name(
    tmp_path: Path,
) -> None:
    flags = {"OCEAN__CATALOG__FEATURE_FLAGS": '["AWS_V3_LIVE_EVENTS_ENABLED", "OTHER"]'}
    sail = prepare(folder_of(tmp_path), environ=flags, overrides={})
    store = await SQLiteStore.open(tmp_path / "c.db")
    try:
        await start(sail, store)
        ocean = sail.folder.integration

        found = await ocean.port_client.get_organization_feature_flags()
    finally:
        await store.close()

    assert found == ["AWS_V3_LIVE_EVENTS_ENABLED", "OTHER"]  # aws-v3's live events turn on


async def test_a_port_client_over_an_embedded_catalog_answers_the_flags_it_was_given(
    started: tuple[Any, SQLiteStore, Sail],
) -> None:
    _, store, sail = started
    client = PortClient(store, sail.owner, sail.folder.mapping, feature_flags=["ONE"])

    assert await client.get_organization_feature_flags() == ["ONE"]
    assert await client.get_org_id() == "ocean"


async def test_a_call_ocean_does_not_make_names_itself(
    started: tuple[Any, SQLiteStore, Sail],
) -> None:
    ocean, _, _ = started

    with pytest.raises(UnsupportedAttributeError, match="ocean.port_client.get_kafka_creds"):
        ocean.port_client.get_kafka_creds  # noqa: B018


@pytest.mark.parametrize(
    ("entity", "options", "answer", "stored"),
    [
        pytest.param(
            _entity("NEW", title="New", properties={"owner": "me"}),
            WRITE,
            {"identifier": "NEW", "blueprint": "project", "relations": {}},
            True,
            id="written",
        ),
        pytest.param(
            _entity("u9", blueprint="member", relations={"project": "OPS"}),
            WRITE,
            {"identifier": "u9", "blueprint": "member", "relations": {"project": "OPS"}},
            True,
            id="written-with-relation",
        ),
        pytest.param(
            _entity("NEW", properties={"owner": "me"}),
            CHECK,
            {"identifier": "NEW", "blueprint": "project", "relations": {}},
            False,
            id="checked-only",
        ),
        pytest.param(
            _entity("NEW", properties={"owner": 3}),
            CHECK,
            {"identifier": "NEW", "blueprint": "project", "relations": {}},
            False,
            id="checked-invalid-not-raised",
        ),
        pytest.param(
            _entity("u9", blueprint="member", relations={"project": "NOPE"}),
            WRITE,
            False,
            False,
            id="missing-related",
        ),
        pytest.param(_entity("x", blueprint="nope"), CHECK, False, False, id="missing-blueprint"),
    ],
)
async def test_upsert_entity_answers_as_the_original(
    started: tuple[Any, SQLiteStore, Sail],
    entity: Entity,
    options: RequestOptions,
    answer: dict[str, Any] | bool,
    stored: bool,
) -> None:
    ocean, store, _ = started
    await ocean.register_raw("project", [{"key": "OPS", "name": "Ops", "archived": False}])

    result = await ocean.port_client.upsert_entity(entity, options, should_raise=False)

    assert (result if result is False else result.dict(exclude_unset=True)) == answer
    found = await store.get_entities(entity.blueprint, [entity.identifier])
    assert (entity.identifier in found) is stored


@pytest.mark.parametrize(
    ("entity", "options", "reason"),
    [
        (_entity("NEW", properties={"owner": 3}), WRITE, "property 'owner': expected string"),
        (_entity("NEW", properties={"owner": 3}), CHECK, "property 'owner': expected string"),
        (_entity("bad id"), WRITE, "may hold only letters"),
    ],
    ids=["written", "checked", "bad-identifier"],
)
async def test_upsert_entity_raises_a_refusal_as_port_s_http_error(
    started: tuple[Any, SQLiteStore, Sail], entity: Entity, options: RequestOptions, reason: str
) -> None:
    ocean, store, _ = started

    with pytest.raises(httpx.HTTPStatusError) as raised:
        await ocean.port_client.upsert_entity(entity, options)

    answer = raised.value.response
    assert (answer.status_code, answer.json()["error"]) == (422, "invalid_entity")
    assert reason in answer.json()["message"]
    assert await store.get_entities("project", [entity.identifier]) == {}


async def test_upsert_entity_merges_and_writes_as_the_writer_named(
    started: tuple[Any, SQLiteStore, Sail],
) -> None:
    ocean, store, _ = started
    client = ocean.port_client
    await client.upsert_entity(_entity("NEW", title="New"), WRITE, UserAgentType.gitops)
    await client.upsert_entity(_entity("NEW", properties={"owner": "me"}), WRITE)

    stored = (await store.get_entities("project", ["NEW"]))["NEW"]
    gitops = await client.search_entities(UserAgentType.gitops)

    assert (stored["title"], stored["properties"]) == ("New", {"owner": "me"})
    assert [(e.blueprint, e.identifier) for e in gitops] == [("project", "NEW")]


async def test_search_entities_finds_only_what_the_integration_wrote(
    started: tuple[Any, SQLiteStore, Sail],
) -> None:
    ocean, store, _ = started
    projects = [
        {"key": key, "name": key.title(), "archived": False, "owner": f"owner-of-{key.lower()}"}
        for key in ("OPS", "OLD")
    ]
    await ocean.register_raw("project", projects)
    foreign = {"identifier": "THEIRS", "blueprint": "project", "properties": {"owner": "x"}}
    await store.upsert_entities([foreign], owner=OTHER, merge=False)  # type: ignore[list-item]
    everything = {"combinator": "and", "rules": []}
    by_owner = {"combinator": "or", "rules": [
        {"property": "owner", "operator": "=", "value": "owner-of-ops"},
        {"property": "owner", "operator": "=", "value": "x"},
    ]}  # fmt: skip
    client = ocean.port_client

    owned = await client.search_entities(UserAgentType.exporter)
    matching = await client.search_entities(UserAgentType.exporter, by_owner)
    shown = await client.search_entities(None, everything, ["identifier", "properties.owner"])

    assert [(e.blueprint, e.identifier) for e in owned] == [("project", "OLD"), ("project", "OPS")]
    assert [e.dict(exclude_unset=True) for e in matching] == [
        {"identifier": "OPS", "blueprint": "project"}
    ]
    assert sorted((e.identifier, e.properties["owner"]) for e in shown) == [
        ("OLD", "owner-of-old"),
        ("OPS", "owner-of-ops"),
    ]


async def test_search_batch_entities_finds_those_given_that_the_integration_wrote(
    started: tuple[Any, SQLiteStore, Sail],
) -> None:
    ocean, store, _ = started
    await ocean.register_raw("project", [{"key": "OPS", "name": "Ops", "archived": False}])
    await ocean.port_client.upsert_entity(_entity("u1", blueprint="member"), WRITE)
    foreign = {"identifier": "THEIRS", "blueprint": "project"}
    await store.upsert_entities([foreign], owner=OTHER, merge=False)  # type: ignore[list-item]
    asked = [_entity(i) for i in ("OPS", "THEIRS", "GONE")] + [_entity("u1", blueprint="member")]

    found = await ocean.port_client.search_batch_entities(UserAgentType.exporter, asked)
    nothing = await ocean.port_client.search_batch_entities(UserAgentType.exporter, [])

    assert sorted((e.blueprint, e.identifier) for e in found) == [
        ("member", "u1"),
        ("project", "OPS"),
    ]
    assert nothing == []


async def test_update_diff_writes_after_and_deletes_what_only_before_had(
    started: tuple[Any, SQLiteStore, Sail], caplog: pytest.LogCaptureFixture
) -> None:
    ocean, store, _ = started
    first = [_entity("A", title="A"), _entity("B", title="B")]
    await ocean.update_diff({"before": [], "after": first}, UserAgentType.gitops)
    then = [_entity("B", title="B again"), _entity("C"), _entity("x", blueprint="nope")]

    await ocean.update_diff({"before": first, "after": then}, UserAgentType.gitops)  # as GitOps

    stored = await store.get_entities("project", ["A", "B", "C"])
    gitops = await ocean.port_client.search_entities(UserAgentType.gitops)
    assert sorted(stored) == ["B", "C"] and stored["B"]["title"] == "B again"
    assert sorted(e.identifier for e in gitops) == ["B", "C"]
    assert "'nope'" in caplog.text  # a refused entity is logged, as the original logs it


@pytest.mark.parametrize(
    "relation",
    ["P", {"combinator": "and", "rules": [{"property": "$identifier", "operator": "=", "value": "P"}]}],
    ids=["identifier", "search-query"],
)  # fmt: skip
async def test_update_diff_keeps_what_the_entities_it_wrote_relate_to(
    started: tuple[Any, SQLiteStore, Sail], relation: Any
) -> None:
    """As the original with ``createMissingRelatedEntities``: deleting the target would
    take the member just written along (the mapping deletes dependents); the relations
    are read as the catalog holds them, a search query resolved."""
    ocean, store, _ = started
    first = [_entity("P", title="P")]
    await ocean.update_diff({"before": [], "after": first}, UserAgentType.gitops)
    then = [Entity(identifier="m1", blueprint="member", relations={"project": relation})]

    await ocean.update_diff({"before": first, "after": then}, UserAgentType.gitops)

    assert sorted(await store.get_entities("project", ["P"])) == ["P"]
    assert sorted(await store.get_entities("member", ["m1"])) == ["m1"]


async def test_unregister_deletes_the_entities_named(
    started: tuple[Any, SQLiteStore, Sail],
) -> None:
    ocean, store, _ = started
    await ocean.register_raw("project", [{"key": k, "name": k, "archived": False} for k in "PQ"])

    await ocean.unregister([Entity(blueprint="project", identifier="P")])  # as AWS's live events

    assert sorted(await store.get_entities("project", ["P", "Q"])) == ["Q"]


async def test_delete_entity_deletes_one_entity_as_the_original(
    started: tuple[Any, SQLiteStore, Sail],
) -> None:
    """Whoever wrote it; one already gone is no error (Port's 404 is ignored); with
    ``delete_dependent_entities``, what relates to it goes too."""
    ocean, store, _ = started
    client = ocean.port_client
    await ocean.register_raw("project", [{"key": k, "name": k, "archived": False} for k in "PQ"])
    await client.upsert_entity(_entity("m1", blueprint="member", relations={"project": "Q"}), WRITE)

    await client.delete_entity(_entity("P"), WRITE)
    await client.delete_entity(_entity("P"), WRITE)
    await client.delete_entity(_entity("Q"), WRITE | {"delete_dependent_entities": True})

    assert await store.get_entities("project", ["P", "Q"]) == {}
    assert await store.get_entities("member", ["m1"]) == {}


async def test_delete_entity_refuses_one_others_relate_to_as_port_s_http_error(
    started: tuple[Any, SQLiteStore, Sail],
) -> None:
    ocean, store, _ = started
    client = ocean.port_client
    await ocean.register_raw("project", [{"key": "Q", "name": "Q", "archived": False}])
    await client.upsert_entity(_entity("m1", blueprint="member", relations={"project": "Q"}), WRITE)

    with pytest.raises(httpx.HTTPStatusError) as raised:
        await client.delete_entity(_entity("Q"), WRITE)
    assert await client.delete_entity(_entity("Q"), WRITE, should_raise=False) is None

    assert raised.value.response.status_code == 409
    assert "m1" in raised.value.response.json()["message"]
    assert sorted(await store.get_entities("project", ["Q"])) == ["Q"]
