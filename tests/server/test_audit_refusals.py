"""The audit log keeps the writes a credential was refused, as the action it asked for
(entities and blueprints),
and the entities a write made as missing relation targets; on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.server.serving import fresh_catalog, seed, served_as_admin, sign_in

TEAM = {"identifier": "team", "title": "Team", "schema": {"properties": {}}}
SERVICE = {
    "identifier": "service",
    "title": "Service",
    "schema": {"properties": {}},
    "relations": {"team": {"target": "team", "many": False, "required": False}},
}


@pytest.fixture(params=["sqlite", "postgresql"])
async def catalog(
    request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[tuple[httpx.AsyncClient, httpx.AsyncClient]]:
    """An admin client, and a client of integration ``two``'s credential; team ``t`` was
    written by integration ``one``."""
    async with fresh_catalog(request.param, tmp_path) as store:
        async with served_as_admin(store) as (base, admin):
            await seed(admin, [TEAM, SERVICE], {})
            clients = []
            for name in ("one", "two"):
                agent = f"port-ocean/x/0.1.0/{name}/exporter"
                client = httpx.AsyncClient(base_url=base, headers={"user-agent": agent})
                await sign_in(client, *await store.create_credentials(
                    name, role="integration", integration=name
                ))  # fmt: skip
                clients.append(client)
            written = await clients[0].post(
                "/v1/blueprints/team/entities?upsert=true", json={"identifier": "t"}
            )
            assert written.status_code == 201, written.text
            yield admin, clients[1]
            for client in clients:
                await client.aclose()


async def _failures(admin: httpx.AsyncClient) -> list[tuple[str, str, Any]]:
    answer = await admin.get("/v1/audit-log", params={"status": "FAILURE"})
    assert answer.status_code == 200, answer.text
    return [(a["action"], a["trigger"]["origin"], a["context"]) for a in answer.json()["audits"]]


async def test_a_refused_change_of_an_entity_is_audited_as_an_update(
    catalog: tuple[httpx.AsyncClient, httpx.AsyncClient],
) -> None:
    admin, other = catalog
    refused = await other.post(
        "/v1/blueprints/team/entities?upsert=true&merge=true",
        json={"identifier": "t", "title": "x"},
    )
    assert refused.status_code == 403, refused.text
    assert await _failures(admin) == [("UPDATE", "two", {"blueprint": "team", "entity": "t"})]


async def test_a_refused_delete_is_audited(
    catalog: tuple[httpx.AsyncClient, httpx.AsyncClient],
) -> None:
    admin, other = catalog
    one = await other.delete("/v1/blueprints/team/entities/t")
    bulk = await other.post("/v1/blueprints/team/bulk/entities/delete", json={"entities": ["t"]})
    assert (one.status_code, bulk.status_code) == (403, 403), (one.text, bulk.text)
    context = {"blueprint": "team", "entity": "t"}
    assert await _failures(admin) == [("DELETE", "two", context)] * 2


async def test_an_entity_made_as_a_missing_relation_target_is_audited(
    catalog: tuple[httpx.AsyncClient, httpx.AsyncClient],
) -> None:
    admin, _ = catalog
    written = await admin.post(
        "/v1/blueprints/service/entities",
        json={"identifier": "s", "relations": {"team": "made"}},
        params={"create_missing_related_entities": "true"},
    )
    assert written.status_code == 201, written.text
    assert (await admin.get("/v1/blueprints/team/entities/made")).status_code == 200
    audits = await admin.get("/v1/audit-log", params={"blueprint": "team", "entity": "made"})
    assert [a["action"] for a in audits.json()["audits"]] == ["CREATE"]


async def test_entities_made_as_missing_targets_by_grouped_bulk_writes_are_each_audited_once(
    catalog: tuple[httpx.AsyncClient, httpx.AsyncClient],
) -> None:
    """Bulk requests sent at once are written together: each placeholder is audited once,
    as made by the caller whose entity named it first."""
    admin, other = catalog

    async def bulk(client: httpx.AsyncClient, n: int) -> httpx.Response:
        services = [
            {"identifier": f"s{n}-{i}", "relations": {"team": f"made-{n}" if i else "shared"}}
            for i in range(2)
        ]
        return await client.post(
            "/v1/blueprints/service/entities/bulk",
            json={"entities": services},
            params={"upsert": "true", "create_missing_related_entities": "true"},
        )

    answers = await asyncio.gather(*(bulk(admin if n % 2 else other, n) for n in range(8)))
    assert {a.status_code for a in answers} == {200}, [a.text for a in answers]
    audits = await admin.get(
        "/v1/audit-log", params={"blueprint": "team", "resources": "entity", "limit": 100}
    )
    made = [(a["context"]["entity"], a["action"]) for a in audits.json()["audits"]]
    assert sorted(made) == sorted([("t", "CREATE"), ("shared", "CREATE")]
                                  + [(f"made-{n}", "CREATE") for n in range(8)])  # fmt: skip
    origin = {a["context"]["entity"]: a["trigger"]["origin"] for a in audits.json()["audits"]}
    assert {origin[f"made-{n}"] for n in range(1, 8, 2)} == {"API"}, origin
    assert {origin[f"made-{n}"] for n in range(0, 8, 2)} == {"two"}, origin


async def _blueprint_failures(admin: httpx.AsyncClient) -> list[tuple[str, str]]:
    answer = await admin.get(
        "/v1/audit-log", params={"status": "FAILURE", "resources": "blueprint"}
    )
    return [(a["action"], a["context"]["blueprint"]) for a in answer.json()["audits"]]


async def test_a_refused_blueprint_change_is_audited(
    catalog: tuple[httpx.AsyncClient, httpx.AsyncClient],
) -> None:
    """It exists already; its change is one the catalog refuses; it still has entities."""
    admin, _ = catalog
    again = await admin.post("/v1/blueprints", json=TEAM)
    wrong = await admin.patch("/v1/blueprints/team", json={"schema": {"properties": {"n": {}}}})
    kept = await admin.delete("/v1/blueprints/team")

    assert (again.status_code, wrong.status_code, kept.status_code) == (409, 422, 409), (
        again.text, wrong.text, kept.text,
    )  # fmt: skip
    assert await _blueprint_failures(admin) == [
        ("DELETE", "team"), ("UPDATE", "team"), ("CREATE", "team"),
    ]  # fmt: skip
