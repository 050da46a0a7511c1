"""Deleting entities through the Port API: in the order given, what is gone already counted
as deleted, and what Port kept reported as kept."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import pytest

from ocean.job import SilentObserver
from ocean.listen.once import run_once
from ocean.sail import prepare
from ocean.store.base import Owner
from ocean.store.port.http import PortAPIError
from tests.conftest import TEAMS, Workspace, resource, services
from tests.store.port.fake_port import FakePort, client

OWNER = Owner("github", "gh-1", "1.2.3")
DELETE = "POST /blueprints/service/bulk/entities/delete"


def _seed(port: FakePort, keys: list[tuple[str, str]], **relations: str) -> None:
    """Entities ``keys`` (``relations``: an identifier -> the team it relates to)."""
    for blueprint, identifier in keys:
        team = relations.get(identifier)
        port.entities[(blueprint, identifier)] = {
            "identifier": identifier,
            "blueprint": blueprint,
            "relations": {"team": team} if team else {},
            "datasource": OWNER.datasource,
        }


SERVICES = [("service", f"svc-{i:03}") for i in range(150)]


@pytest.mark.parametrize(
    ("chunk", "requests"),
    [
        pytest.param(
            [("team", "edge"), ("service", "svc-000"), ("team", "core")],
            [("team", ["edge"]), ("service", ["svc-000"]), ("team", ["core"])],
            id="a-request-each-time-the-blueprint-changes",
        ),
        pytest.param(
            [("team", "edge"), *SERVICES, ("team", "core")],
            [("team", ["edge"]), ("service", [i for _, i in SERVICES[:100]]),
             ("service", [i for _, i in SERVICES[100:]]), ("team", ["core"])],
            id="and-each-hundred-identifiers",
        ),
    ],
)  # fmt: skip
async def test_a_chunk_is_deleted_in_its_order(
    chunk: list[tuple[str, str]], requests: list[tuple[str, list[str]]]
) -> None:
    """As a resync orders a chunk: each entity before those it relates to (svc-000 relates
    to core: Port refuses to delete core while svc-000 stands)."""
    port = FakePort()
    _seed(port, chunk, **{"svc-000": "core"})
    store = client(port)

    result = await store.delete_entities(chunk, delete_dependents=False)

    assert [(blueprint, ids) for blueprint, ids, _ in port.deletions] == requests
    assert sorted(result.deleted) == sorted(chunk) and not port.entities


async def test_a_stale_target_and_its_stale_dependent_are_deleted_by_a_resync(
    workspace: Workspace,
) -> None:
    """The team blueprint sorts first: regrouped by blueprint, the team went before the
    service relating to it, Port refused it (422), and every resync failed."""
    blueprints = [
        {"identifier": "a_team", "title": "Team", "schema": {"properties": {}}, "relations": {}},
        {"identifier": "service", "title": "Service", "schema": {"properties": {}},
         "relations": {"team": {"target": "a_team", "many": False, "required": False}}},
    ]  # fmt: skip
    blueprints_file = workspace.folder / ".port" / "resources" / "blueprints.json"
    blueprints_file.write_text(json.dumps(blueprints))
    workspace.set_mapping({"resources": [
        resource("team", "a_team"), resource("service", "service", relations={"team": ".team"}),
    ]})  # fmt: skip
    teams = [{"id": t, "name": t} for t in ("core", "edge", "keep")]
    services = [{"id": "svc-0", "name": "S0", "team": "core"}]
    services += [{"id": f"svc-{i}", "name": f"S{i}", "team": "keep"} for i in range(1, 4)]
    port = FakePort()
    store = client(port)
    workspace.set_data(services=[services], teams=teams)
    await run_once(_prepared(workspace), store, SilentObserver())
    workspace.set_data(services=[services[1:]], teams=teams[2:])

    report = await run_once(_prepared(workspace), store, SilentObserver())

    assert (report.status, report.deleted) == ("completed", 3)
    assert {("a_team", "core"), ("a_team", "edge"), ("service", "svc-0")}.isdisjoint(port.entities)


def _prepared(workspace: Workspace) -> Any:
    return prepare(workspace.folder, environ=workspace.environ, overrides={})


@pytest.mark.parametrize(
    ("gone_before", "lost_answers", "listed"),
    [
        pytest.param({"svc-1"}, 0, False, id="a-person-deleted-one-meanwhile"),
        pytest.param(set(), 1, False, id="the-first-answer-was-lost-and-the-retry-found-them-gone"),
        pytest.param({"svc-1"}, 0, True, id="oceans-server-lists-those-not-found"),
    ],
)
async def test_entities_already_gone_count_as_deleted_and_the_others_still_go(
    gone_before: set[str], lost_answers: int, listed: bool
) -> None:
    port = FakePort()
    keys = [("service", f"svc-{i}") for i in range(3)]
    _seed(port, [key for key in keys if key[1] not in gone_before])
    port.lost[DELETE], port.not_found_listed = lost_answers, listed
    store = client(port)

    result = await store.delete_entities(keys, delete_dependents=False)

    assert sorted(result.deleted) == keys and result.blocked == {}
    assert not port.entities


async def test_what_port_kept_is_reported_kept_with_what_relates_to_it() -> None:
    port = FakePort()
    _seed(port, [("team", "core"), ("team", "edge"), ("service", "svc-0")], **{"svc-0": "core"})
    port.keep = {("team", "core")}
    store = client(port)

    result = await store.delete_entities([("team", "core"), ("team", "edge")])

    assert result.deleted == [("team", "edge")]
    assert result.blocked == {("team", "core"): [("service", "svc-0")]}


async def test_an_entity_something_relates_to_since_is_kept_and_the_others_still_go() -> None:
    """svc-0 was written relating to core after the resync planned (a live event): Port
    refuses the request taking core (422); the original logs it and goes on."""
    port = FakePort()
    teams = [("team", "core"), ("team", "edge"), ("team", "ops")]
    _seed(port, [*teams, ("service", "svc-0")], **{"svc-0": "core"})
    store = client(port)

    result = await store.delete_entities(teams, delete_dependents=False)

    assert sorted(result.deleted) == [("team", "edge"), ("team", "ops")]
    assert result.blocked == {("team", "core"): [("service", "svc-0")]}
    assert ("team", "core") in port.entities


async def test_a_422_that_is_not_about_dependents_fails_the_deletion() -> None:
    """A request Port cannot read is the client's fault: raised, not reported as kept."""
    port = FakePort()
    _seed(port, [("team", "core")])
    port.failures["POST /blueprints/team/bulk/entities/delete"] = [(422, {})]
    store = client(port)

    with pytest.raises(PortAPIError, match="422"):
        await store.delete_entities([("team", "core")], delete_dependents=False)


class _Silent(FakePort):
    """A Port whose bulk deletion answers without ``deletedEntities``."""

    def bulk_delete(self, blueprint: str, identifiers: list[str], dependents: str) -> Any:
        return httpx.Response(200, json={"ok": True})


async def test_an_answer_that_names_nothing_deleted_reports_the_entities_kept() -> None:
    port = _Silent()
    _seed(port, [("team", "core")])
    store = client(port)

    result = await store.delete_entities([("team", "core")], delete_dependents=False)

    assert result.deleted == [] and list(result.blocked) == [("team", "core")]


async def test_a_resync_stopped_while_it_deletes_sends_no_more_deletions(
    workspace: Workspace,
) -> None:
    """On SQLite or PostgreSQL a stop waits for the chunk under way (the catalog finishes
    it all the same); a Port API's chunk is a hundred requests one after another, which
    the stop cuts short (before, all of them went, each retried, before the stop ended)."""
    workspace.set_mapping({"entityDeletionThreshold": 1, "resources": [
        resource("team", "team"), resource("service", "service", relations={"team": ".team"})]})  # fmt: skip
    port = FakePort()
    port.latency = 0.02
    store = client(port)
    workspace.set_data(services=[services(1000)], teams=TEAMS)
    await run_once(
        prepare(workspace.folder, environ=workspace.environ, overrides={}), store, SilentObserver()
    )
    workspace.set_data(services=[services(1)], teams=TEAMS)
    resync = asyncio.create_task(
        run_once(
            prepare(workspace.folder, environ=workspace.environ, overrides={}),
            store,
            SilentObserver(),
        )
    )
    while not port.deletions:
        await asyncio.sleep(0.005)

    resync.cancel()
    sent = len(port.deletions)
    with pytest.raises(asyncio.CancelledError):
        await resync

    assert len(port.deletions) - sent <= 1
    assert sum(key[0] == "service" for key in port.entities) > 800
