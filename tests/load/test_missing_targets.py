"""With ``createMissingRelatedEntities: false``, an entity whose relation target a later kind
produces is written once every kind has run, as the original retries it (real resyncs into
SQLite and PostgreSQL)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from ocean.job import SilentObserver
from ocean.listen.once import run_once
from ocean.load.apply import write_entities
from ocean.load.freshness import Freshness
from ocean.load.missing_targets import MISSING, Held, HeldForTargets, in_relation_order
from ocean.mapping import parse_mapping
from ocean.monitor.report import KindReport
from ocean.sail import prepare
from ocean.server.app import create_app
from ocean.store.base import Owner, WriteOutcome
from ocean.store.port.store import PortAPIStore
from ocean.store.sqlite.store import SQLiteStore
from tests import loopback
from tests.conftest import TEAMS, Workspace, services, services_before_teams
from tests.server.serving import fresh_catalog


async def test_an_entity_whose_target_a_later_kind_makes_is_written_at_the_end(
    workspace: Workspace, catalog: str
) -> None:
    workspace.set_mapping(services_before_teams())
    workspace.set_data(services=[services(3)], teams=TEAMS)

    report = await workspace.sail(catalog)

    stored = await workspace.entities("service", catalog)
    assert sorted(stored) == ["svc-0", "svc-1", "svc-2"]
    assert {e["relations"]["team"] for e in stored.values()} == {"core"}
    kind = report.kinds[0]
    assert (kind.created, kind.failed, kind.errors, kind.status) == (3, 0, [], "completed")
    assert report.status == "completed"


async def test_an_entity_whose_target_never_comes_fails_and_keeps_its_kind_from_deleting(
    workspace: Workspace, catalog: str
) -> None:
    workspace.set_mapping(services_before_teams())
    workspace.set_data(services=[services(3)], teams=TEAMS)
    await workspace.sail(catalog)
    ghost = [{**services(1, start=9)[0], "team": "ghost"}]
    workspace.set_data(services=[services(1), ghost], teams=TEAMS)

    report = await workspace.sail(catalog)

    kind = report.kinds[0]
    assert (kind.created, kind.unchanged, kind.failed, kind.status) == (0, 1, 1, "failed")
    assert "ghost" in kind.errors[0] and "not_found" in kind.errors[0]
    assert sorted(await workspace.entities("service", catalog)) == ["svc-0", "svc-1", "svc-2"]
    assert report.deleted == 0


def _held(identifier: str, *targets: Any) -> Held:
    relations = {"to": list(targets)} if len(targets) != 1 else {"to": targets[0]}
    return KindReport(kind="k", index=0), {"identifier": identifier, "relations": relations}, 0.0


@pytest.mark.parametrize(
    ("held", "order"),
    [
        ([_held("a", "b"), _held("b", "c"), _held("c")], ["c", "b", "a"]),
        ([_held("a", "b", "c"), _held("b"), _held("c", None)], ["b", "c", "a"]),
        ([_held("a", "b"), _held("b", "a"), _held("c", "a")], ["a", "b", "c"]),  # a cycle
        ([_held("a", "a"), _held("b", {"combinator": "and", "rules": []})], ["a", "b"]),
        ([_held("1", 2), _held("2")], ["2", "1"]),
    ],
    ids=["chain", "many", "cycle kept as held", "itself and a search", "numbers"],
)
def test_held_entities_are_written_after_the_targets_among_them(
    held: list[Held], order: list[str]
) -> None:
    assert [entity["identifier"] for _, entity, _ in in_relation_order(held)] == order


async def test_against_a_port_api_the_held_entities_are_written_at_the_end(
    workspace: Workspace,
) -> None:
    workspace.set_mapping(services_before_teams())
    workspace.set_data(services=[services(3)], teams=TEAMS)
    async with fresh_catalog("sqlite", workspace.root) as catalog:
        client_id, secret = await catalog.create_credentials("port api")
        async with loopback.served(create_app(catalog)) as base:
            store = PortAPIStore.connect(base, client_id, secret)
            prepared = prepare(workspace.folder, environ=workspace.environ, overrides={})
            try:
                report = await run_once(prepared, store, SilentObserver())
            finally:
                await store.close()

    kind = report.kinds[0]
    assert (kind.created, kind.failed, kind.errors, report.status) == (3, 0, [], "completed")


LIVE_MEANWHILE = """
from ocean import Integration
ocean = Integration()

@ocean.on_resync("service")
async def services(kind):
    yield [{"id": "svc-0", "name": "S0", "url": "u", "stars": 1, "team": "core"},
           {"id": "svc-1", "name": "S1", "url": "u", "stars": 1, "team": "core"}]

@ocean.on_resync("team")
async def teams(kind):  # newer data arrives live while the resync runs
    await ocean.register_raw("team", [{"id": "core", "name": "Core"}])
    svc_1 = {"id": "svc-1", "name": "S1", "url": "u", "stars": 99, "team": "core"}
    await ocean.register_raw("service", [svc_1])
    await ocean.unregister_raw("service", [{"id": "svc-0", "team": "core"}])
    return [{"id": "core", "name": "Core"}]
"""


async def test_a_held_entity_does_not_undo_what_live_data_wrote_meanwhile(
    workspace: Workspace,
) -> None:
    (workspace.folder / "main.py").write_text(LIVE_MEANWHILE)
    workspace.set_mapping(services_before_teams())
    report = await workspace.sail(freshness=Freshness())

    stored = await workspace.entities("service")
    assert {key: entity["properties"]["stars"] for key, entity in stored.items()} == {"svc-1": 99}
    assert (report.kinds[0].unchanged, report.kinds[0].failed) == (2, 0)


_MAPPING = parse_mapping({"resources": []})


@pytest.mark.usefixtures("forgetful_freshness")
async def test_a_held_entity_does_not_undo_a_newer_live_write_of_it(tmp_path: Path) -> None:
    store = await SQLiteStore.open(tmp_path / "catalog.db")
    await store.create_blueprints([{"identifier": "service", "title": "Service", "schema": {}}])
    freshness, kind = Freshness(), KindReport(kind="service", index=0)
    held, owner = HeldForTargets(fetches=freshness.fetches()), Owner("svc", "my-svc")
    page = {"blueprint": "service", "identifier": "x", "title": "from the resync"}
    page_at = Freshness.now()
    freshness.claim([page], page_at)  # the resync's write, refused: its target is missing
    refused = WriteOutcome(0, "x", "service", "failed", error=f"{MISSING}: team core")
    held.hold(kind, [page], [refused], page_at)
    with freshness.holding(live_at := Freshness.now()):  # a live event, fetched later
        kept, _ = freshness.claim([{**page, "title": "live"}], live_at)
        await write_entities(store, kept, owner=owner, mapping=_MAPPING)
    freshness.claim([], Freshness.now())  # another write's look
    try:
        await held.write(store, owner, _MAPPING, freshness)
        found = await store.get_entities("service", ["x"])
    finally:
        await store.close()
    assert found["x"]["title"] == "live"


@pytest.mark.parametrize("apart", [False, True], ids=["one write", "two writes"])
async def test_a_later_copy_of_a_key_is_not_undone_by_its_earlier_held_copy(
    workspace: Workspace, catalog: str, apart: bool
) -> None:
    """A key mapped twice by one kind, its earlier copy refused for a missing relation
    target and held: the later copy, written meanwhile, is what stays (as the catalog does
    for a key sent twice in one write)."""
    workspace.set_mapping(services_before_teams())
    older = {**services(1)[0], "stars": 1, "team": "core"}  # core: made by the later kind
    newer = {**services(1)[0], "stars": 2, "team": None}
    filler = [{**s, "team": None} for s in services(1200, start=10)] if apart else []
    workspace.set_data(services=[[older, *filler], [newer]], teams=TEAMS)

    report = await workspace.sail(catalog)

    stored = await workspace.entities("service", catalog)
    assert stored["svc-0"]["properties"]["stars"] == 2
    assert stored["svc-0"]["relations"]["team"] is None
    kind = report.kinds[0]
    assert (kind.failed, kind.errors, kind.status) == (0, [], "completed")
