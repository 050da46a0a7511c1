"""Port's entity and blueprint routes that people and scripts call, calculation and mirror
properties, the audit log and the OpenAPI description, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import json
import urllib.parse
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest

from ocean.server.app import create_app
from ocean.store.base import Store
from ocean.store.open import open_store
from tests.conftest import POSTGRES_URL

TEAM = {
    "identifier": "team",
    "title": "Team",
    "schema": {"properties": {"size": {"type": "number"}}},
}
SERVICE = {
    "identifier": "service",
    "title": "Service",
    "schema": {"properties": {"url": {"type": "string"}, "stars": {"type": "number"}}},
    "relations": {
        "team": {"target": "team", "many": False, "required": False},
        "teams": {"target": "team", "many": True, "required": False},
    },
    "mirrorProperties": {
        "team_size": {"path": "team.size"},
        "team_title": {"path": "team.$title"},
        "sizes": {"path": "teams.size"},
    },
    "calculationProperties": {
        "double": {"calculation": ".properties.stars * 2", "type": "number"},
        "label": {"calculation": '.identifier + ":" + (.title // "")', "type": "string"},
        "broken": {"calculation": ".properties.url | tonumber", "type": "number"},
    },
}


@pytest.fixture(params=["sqlite", "postgresql"])
async def client(
    request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[tuple[httpx.AsyncClient, Store, str]]:
    """An authenticated client of the server over a fresh catalog, its store and client id."""
    schema = f"test_{uuid.uuid4().hex[:12]}"
    url = str(tmp_path / "c.db") if request.param == "sqlite" else f"{POSTGRES_URL}?schema={schema}"
    store = await open_store(url)
    client_id, secret = await store.create_credentials("tests")
    transport = httpx.ASGITransport(app=create_app(store))
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        body = {"clientId": client_id, "clientSecret": secret}
        token = (await http.post("/v1/auth/access_token", json=body)).json()["accessToken"]
        http.headers["Authorization"] = f"Bearer {token}"
        for blueprint in (TEAM, SERVICE):
            assert (await http.post("/v1/blueprints", json=blueprint)).status_code == 201
        yield http, store, client_id
    await store.close()
    if request.param == "postgresql":
        connection = await asyncpg.connect(POSTGRES_URL)
        await connection.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        await connection.close()


async def _entity(http: httpx.AsyncClient, blueprint: str, body: dict[str, Any], **q: str) -> Any:
    answer = await http.post(f"/v1/blueprints/{blueprint}/entities", json=body, params=q)
    assert answer.status_code == 201, answer.text
    return answer.json()["entity"]


async def test_create_get_list_and_search_one_blueprint(
    client: tuple[httpx.AsyncClient, Store, str],
) -> None:
    http, _, _ = client
    created = await _entity(http, "service", {"identifier": "a", "properties": {"stars": 1}})
    assert created["identifier"] == "a" and created["blueprint"] == "service"
    assert "createdAt" in created and created["properties"]["double"] == 2
    again = await http.post("/v1/blueprints/service/entities", json={"identifier": "a"})
    assert (again.status_code, again.json()["error"]) == (409, "conflict")
    await _entity(http, "service", {"identifier": "b", "title": "B", "properties": {"stars": 5}})
    await _entity(http, "team", {"identifier": "core"})

    listed = (await http.get("/v1/blueprints/service/entities")).json()["entities"]
    assert [e["identifier"] for e in listed] == ["a", "b"]
    one = (await http.get("/v1/blueprints/service/entities/b")).json()["entity"]
    assert one["title"] == "B" and one["properties"]["stars"] == 5
    projected = await http.get(
        "/v1/blueprints/service/entities/b",
        params=[("include", "identifier"), ("include", "properties.stars")],
    )
    assert projected.json()["entity"] == {"identifier": "b", "properties": {"stars": 5}}
    count = (await http.get("/v1/blueprints/service/entities-count")).json()
    assert count == {"ok": True, "count": 2}

    rule = {"property": "stars", "operator": ">", "value": 2}
    found = await http.post(
        "/v1/blueprints/service/entities/search",
        json={"query": {"combinator": "and", "rules": [rule]}, "include": ["$identifier"]},
    )
    assert found.json() == {"ok": True, "entities": [{"identifier": "b"}]}
    paged = (await http.post("/v1/blueprints/service/entities/search", json={"limit": 1})).json()
    assert [e["identifier"] for e in paged["entities"]] == ["a"] and paged["next"] == "a"
    rest = await http.post("/v1/blueprints/service/entities/search", json={"from": paged["next"]})
    assert [e["identifier"] for e in rest.json()["entities"]] == ["b"] and "next" not in rest.json()
    across = await http.post(
        "/v1/entities/search",
        json={"combinator": "and", "rules": [rule], "include": ["identifier", "blueprint"]},
    )
    assert across.json()["entities"] == [{"identifier": "b", "blueprint": "service"}]


async def test_missing_things_and_bad_requests_answer_as_port_does(
    client: tuple[httpx.AsyncClient, Store, str],
) -> None:
    http, _, _ = client
    cases = [
        ("GET", "/v1/blueprints/nope/entities", None, 404, "not_found"),
        ("GET", "/v1/blueprints/service/entities/nope", None, 404, "not_found"),
        ("PUT", "/v1/blueprints/service/entities/nope", {"title": "x"}, 404, "not_found"),
        ("PATCH", "/v1/blueprints/service/entities/nope", {"title": "x"}, 404, "not_found"),
        ("DELETE", "/v1/blueprints/service/entities/nope", None, 404, "not_found"),
        ("POST", "/v1/blueprints/nope/entities", {"identifier": "x"}, 404, "not_found"),
        ("POST", "/v1/blueprints/service/entities/search", {"bogus": 1}, 422, "invalid_request"),
        ("POST", "/v1/blueprints/service/entities/search", {"limit": 0}, 422, "invalid_request"),
        (
            "POST",
            "/v1/blueprints/service/entities",
            {"identifier": "x", "properties": {"stars": "many"}},
            422,
            "invalid_entity",
        ),
        (
            "POST",
            "/v1/blueprints/service/entities",
            {"identifier": "x", "relations": {"team": "ghost"}},
            404,
            "not_found",
        ),
        (
            "GET",
            "/v1/blueprints/service/entities?exclude_calculated_properties=maybe",
            None,
            422,
            "invalid_request",
        ),
        ("GET", "/v1/audit-log?action=EXPLODE", None, 422, "invalid_request"),
        ("GET", "/v1/audit-log?from=yesterday", None, 422, "invalid_request"),
        ("GET", "/v1/migrations/nope", None, 404, "not_found"),
    ]
    for method, path, body, status, code in cases:
        answer = await http.request(method, path, json=body)
        assert (answer.status_code, answer.json()["error"]) == (status, code), (path, answer.text)
        assert answer.json()["ok"] is False and answer.json()["message"]
    unchecked = await http.post(
        "/v1/blueprints/service/entities",
        params={"validation_only": "true"},
        json={"identifier": "x", "properties": {"stars": 3}},
    )
    assert unchecked.status_code == 200
    assert (await http.get("/v1/blueprints/service/entities/x")).status_code == 404


async def test_upsert_merge_put_patch_and_delete_one_entity(
    client: tuple[httpx.AsyncClient, Store, str],
) -> None:
    http, _, _ = client
    await _entity(http, "team", {"identifier": "core"})
    body = {"identifier": "a", "title": "A", "properties": {"url": "u", "stars": 1}}
    await _entity(http, "service", body)
    merged = await _entity(
        http,
        "service",
        {"identifier": "a", "properties": {"stars": 2}},
        upsert="true",
        merge="true",
    )
    assert merged["title"] == "A" and merged["properties"]["url"] == "u"
    replaced = await _entity(
        http, "service", {"identifier": "a", "properties": {"stars": 3}}, upsert="true"
    )
    assert replaced["title"] is None and "url" not in replaced["properties"]

    put = await http.put(
        "/v1/blueprints/service/entities/a", json={"title": "P", "relations": {"team": "core"}}
    )
    assert put.status_code == 200 and put.json()["entity"]["properties"].get("stars") is None
    patched = await http.patch(
        "/v1/blueprints/service/entities/a", json={"properties": {"stars": 9}}
    )
    entity = patched.json()["entity"]
    assert (entity["title"], entity["properties"]["stars"], entity["relations"]["team"]) == (
        "P",
        9,
        "core",
    )
    renamed = await http.patch("/v1/blueprints/service/entities/a", json={"identifier": "b"})
    assert renamed.status_code == 422

    blocked = await http.delete("/v1/blueprints/team/entities/core")
    assert (blocked.status_code, blocked.json()["error"]) == (409, "conflict")
    assert "delete_dependents=true" in blocked.json()["message"]
    gone = await http.delete(
        "/v1/blueprints/team/entities/core", params={"delete_dependents": "true"}
    )
    assert gone.json() == {"ok": True}
    assert (await http.get("/v1/blueprints/service/entities/a")).status_code == 404


async def test_identifiers_are_decoded_as_port_clients_encode_them(
    client: tuple[httpx.AsyncClient, Store, str],
) -> None:
    http, _, _ = client
    for identifier in ("group/repo", "a+b", "x:y@z"):
        await _entity(http, "service", {"identifier": identifier})
        path = f"/v1/blueprints/service/entities/{urllib.parse.quote_plus(identifier)}"
        assert (await http.get(path)).json()["entity"]["identifier"] == identifier
        assert (await http.delete(path)).json() == {"ok": True}
    assert (await http.get("/v1/blueprints/service/entities")).json()["entities"] == []


async def test_calculation_and_mirror_properties_are_computed_on_read(
    client: tuple[httpx.AsyncClient, Store, str],
) -> None:
    http, _, _ = client
    await _entity(http, "team", {"identifier": "core", "title": "Core", "properties": {"size": 4}})
    await _entity(http, "team", {"identifier": "edge", "properties": {"size": 7}})
    await _entity(
        http,
        "service",
        {
            "identifier": "a",
            "title": "A",
            "properties": {"stars": 3, "url": "x"},
            "relations": {"team": "core", "teams": ["core", "edge"]},
        },
    )
    await _entity(http, "service", {"identifier": "lone"})
    entities = {
        e["identifier"]: e["properties"]
        for e in (await http.get("/v1/blueprints/service/entities")).json()["entities"]
    }
    assert entities["a"] | {} == {
        "stars": 3,
        "url": "x",
        "double": 6,
        "label": "a:A",
        "broken": None,
        "team_size": 4,
        "team_title": "Core",
        "sizes": [4, 7],
    }
    assert entities["lone"] == {
        "double": None,  # jq: null * 2 fails
        "label": "lone:",
        "broken": None,
        "team_size": None,
        "team_title": None,
        "sizes": [],
    }
    bare = await http.get(
        "/v1/blueprints/service/entities/a", params={"exclude_calculated_properties": "true"}
    )
    assert bare.json()["entity"]["properties"] == {"stars": 3, "url": "x"}
    searched = await http.post(
        "/v1/entities/search",
        json={
            "combinator": "and",
            "rules": [{"property": "$identifier", "operator": "=", "value": "a"}],
        },
        params={"include": "properties.team_size"},
    )
    assert searched.json()["entities"] == [{"properties": {"team_size": 4}}]


async def test_blueprint_get_put_patch_and_delete(
    client: tuple[httpx.AsyncClient, Store, str],
) -> None:
    http, _, _ = client
    extra = {
        "identifier": "extra",
        "title": "Extra",
        "description": "d",
        "schema": {"properties": {}},
    }
    assert (await http.post("/v1/blueprints", json=extra)).status_code == 201
    assert (await http.post("/v1/blueprints", json=extra)).status_code == 409
    patched = await http.patch("/v1/blueprints/extra", json={"title": "Renamed"})
    assert patched.json()["blueprint"]["description"] == "d"
    put = await http.put(
        "/v1/blueprints/extra", json={"title": "Whole", "schema": {"properties": {}}}
    )
    blueprint = put.json()["blueprint"]
    assert (blueprint["title"], blueprint.get("description"), blueprint["relations"]) == (
        "Whole",
        None,
        {},
    )
    assert (await http.get("/v1/blueprints/extra")).json()["blueprint"]["title"] == "Whole"

    target = await http.delete("/v1/blueprints/team")
    assert target.status_code == 409 and "service.team" in target.json()["message"]
    await _entity(http, "extra", {"identifier": "e1"})
    busy = await http.delete("/v1/blueprints/extra")
    assert busy.status_code == 409 and "all-entities" in busy.json()["message"]
    cleared = await http.delete(
        "/v1/blueprints/extra/all-entities", params={"delete_blueprint": "true"}
    )
    migration = (await http.get(f"/v1/migrations/{cleared.json()['migrationId']}")).json()
    assert migration["migration"]["status"] == "COMPLETED"
    assert (await http.get("/v1/blueprints/extra")).status_code == 404
    assert (
        await http.post("/v1/blueprints/extra/entities", json={"identifier": "e2"})
    ).status_code == 404
    assert (await http.delete("/v1/blueprints/extra")).status_code == 404


@pytest.mark.parametrize(
    ("method", "path", "body", "named"),
    [
        ("POST", "/v1/blueprints/entities/datasource-entities",
         {"datasource_prefix": "port-ocean/x/", "datasource_suffix": "/y", "limit": 10**19},
         "limit"),
        ("GET", "/v1/integration/x/cursor?kind=k&index=99999999999999999999", None, "index"),
        ("GET", "/v1/integration/x/cursor?kind=k&index=%C2%B2", None, "index"),
        ("GET", "/v1/integration/x/cursor?kind=k&index=" + "9" * 5000, None, "index"),
        ("PATCH", "/v1/integration/x/resync-state",
         {"status": "completed", "lastResyncEnd": 5}, "lastResyncEnd"),
    ],
    ids=["page-limit", "cursor-index", "cursor-index-superscript", "cursor-index-huge", "resync-end"],
)  # fmt: skip
async def test_a_value_out_of_range_is_a_422_naming_it(
    client: tuple[httpx.AsyncClient, Store, str],
    method: str,
    path: str,
    body: dict[str, Any] | None,
    named: str,
) -> None:
    http, _, _ = client

    answer = await http.request(method, path, json=body)

    assert answer.status_code == 422, answer.text
    assert named in answer.json()["message"]


async def test_a_bulk_write_to_a_blueprint_that_does_not_exist_is_a_404(
    client: tuple[httpx.AsyncClient, Store, str],
) -> None:
    http, _, _ = client

    answer = await http.post(
        "/v1/blueprints/nobody/entities/bulk", json={"entities": [{"identifier": "x"}]}
    )

    assert (answer.status_code, answer.json()["error"]) == (404, "not_found")


async def test_a_blueprint_patched_with_null_relations_and_schema_is_served_with_empty_ones(
    client: tuple[httpx.AsyncClient, Store, str],
) -> None:
    http, _, _ = client

    patched = await http.patch("/v1/blueprints/team", json={"relations": None, "schema": None})

    served = (await http.get("/v1/blueprints/team")).json()["blueprint"]
    assert patched.status_code == 200
    assert (served["relations"], served["schema"]) == ({}, {"properties": {}})


@pytest.mark.parametrize("method", ["PATCH", "PUT"])
async def test_an_update_racing_a_delete_never_makes_the_entity_again(
    client: tuple[httpx.AsyncClient, Store, str], method: str
) -> None:
    http, store, _ = client
    for attempt in range(10):
        path = f"/v1/blueprints/team/entities/t{attempt}"
        await _entity(http, "team", {"identifier": f"t{attempt}", "title": "T"})

        changed, deleted = await asyncio.gather(
            http.request(method, path, json={"icon": "Git"}), http.delete(path)
        )

        assert deleted.status_code == 200 and changed.status_code in (200, 404)
        assert await store.get_entities("team", [f"t{attempt}"]) == {}


async def test_of_two_creates_of_one_blueprint_at_once_one_is_refused(
    client: tuple[httpx.AsyncClient, Store, str],
) -> None:
    http, _, _ = client
    for attempt in range(5):
        bodies = [{"identifier": f"x{attempt}", "title": f"X{n}"} for n in range(2)]
        answers = await asyncio.gather(*(http.post("/v1/blueprints", json=b) for b in bodies))

        assert sorted(answer.status_code for answer in answers) == [201, 409]
        created = next(answer for answer in answers if answer.status_code == 201)
        stored = (await http.get(f"/v1/blueprints/x{attempt}")).json()["blueprint"]
        assert stored["title"] == created.json()["blueprint"]["title"]


async def test_every_write_is_in_the_audit_log(
    client: tuple[httpx.AsyncClient, Store, str],
) -> None:
    http, _, client_id = client
    start = (await http.get("/v1/audit-log")).json()["audits"][0]["trigger"]["at"]
    await _entity(http, "service", {"identifier": "a", "title": "A", "properties": {"stars": 1}})
    await http.patch(
        "/v1/blueprints/service/entities/a", json={"title": "B", "properties": {"url": "u"}}
    )
    bulk = {
        "entities": [
            {"identifier": "a", "properties": {"stars": 2}},
            {"identifier": "z", "properties": {"stars": "x"}},
        ]
    }
    await http.post(
        "/v1/blueprints/service/entities/bulk",
        json=bulk,
        params={"upsert": "true", "merge": "true"},
    )
    await http.delete("/v1/blueprints/service/entities/a")

    audits = (await http.get("/v1/audit-log", params={"entity": "a"})).json()["audits"]
    assert [a["action"] for a in audits] == ["DELETE", "UPDATE", "UPDATE", "CREATE"]
    assert all(a["trigger"]["by"]["clientId"] == client_id for a in audits)
    assert audits[0]["context"] == {"blueprint": "service", "entity": "a"}
    assert audits[2]["diff"] == {"added": ["properties.url"], "removed": [], "changed": ["title"]}
    assert audits[1]["diff"]["changed"] == ["properties.stars"]
    assert audits[3]["diff"]["added"] == ["properties.stars", "title"]
    failed = (await http.get("/v1/audit-log", params={"status": "FAILURE"})).json()["audits"]
    assert [(a["context"]["entity"], a["action"]) for a in failed] == [("z", "CREATE")]
    assert "stars" in failed[0]["message"]
    blueprints = await http.get(
        "/v1/audit-log", params={"resources": "blueprint", "includes": "action"}
    )
    assert blueprints.json()["audits"] == [{"action": "CREATE"}, {"action": "CREATE"}]
    since = await http.get(
        "/v1/audit-log", params={"from": start, "action": "DELETE", "limit": "5"}
    )
    assert [a["context"]["entity"] for a in since.json()["audits"]] == ["a"]
    assert (await http.get("/v1/audit-log", params={"to": start, "entity": "a"})).json()[
        "audits"
    ] == []


async def test_the_openapi_document_has_schemas_and_an_offline_docs_page(
    client: tuple[httpx.AsyncClient, Store, str],
) -> None:
    http, _, _ = client
    anonymous = httpx.AsyncClient(transport=http._transport, base_url="http://test")
    document = (await anonymous.get("/openapi.json")).json()
    page = await anonymous.get("/docs")
    await anonymous.aclose()
    assert page.status_code == 200 and "openapi.json" in page.text and "https://" not in page.text
    for path, methods in document["paths"].items():
        for method, operation in methods.items():
            success = [s for s in operation["responses"] if s.startswith("2")]
            assert success, (method, path)
            if path != "/docs":
                assert "schema" in operation["responses"][success[0]]["content"]["application/json"]
                assert operation["responses"]["422"]["content"]["application/json"]["schema"] == {
                    "$ref": "#/components/schemas/Error"
                }
    one = document["paths"]["/v1/blueprints/{bp}/entities/{id}"]
    assert set(one) == {"get", "put", "patch", "delete"}
    assert one["put"]["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/EntityInput"
    }
    assert "/v1/audit-log" in document["paths"] and "Entity" in document["components"]["schemas"]


def test_ocean_catalog_audit_lists_the_log(tmp_path: Path) -> None:
    import json

    from click.testing import CliRunner

    from ocean.cli.main import cli
    from ocean.server.caller import Caller
    from ocean.server.gateway import WriteGateway
    from ocean.store.base import Owner

    path = tmp_path / "c.db"

    async def write() -> None:
        store = await open_store(str(path))
        gateway = WriteGateway(store)
        caller = Caller("client-1", Owner("api", "script"))
        await gateway.create_blueprint(caller, TEAM)
        await gateway.upsert(caller, [{"identifier": "t", "blueprint": "team"}], merge=True)
        await store.close()

    asyncio.run(write())
    shown = CliRunner().invoke(cli, ["catalog", "audit", "--json", "--catalog", str(path)])
    assert shown.exit_code == 0, shown.output
    lines = [json.loads(line) for line in shown.output.splitlines()]
    assert [(e["resourceType"], e["action"]) for e in lines] == [
        ("entity", "CREATE"),
        ("blueprint", "CREATE"),
    ]
    assert lines[0]["trigger"]["by"]["clientId"] == "client-1"
    only = CliRunner().invoke(
        cli, ["catalog", "audit", "--resource", "blueprint", "--catalog", str(path)]
    )
    assert only.exit_code == 0 and "team" in only.output and "client-1" in only.output


async def test_the_bulk_route_validates_creates_only_or_merges_as_its_flags_say(
    client: tuple[httpx.AsyncClient, Store, str],
) -> None:
    http, store, _ = client
    await _entity(http, "service", {"identifier": "a", "title": "A", "properties": {"stars": 1}})
    bulk = "/v1/blueprints/service/entities/bulk"
    sent = {"entities": [{"identifier": "a", "properties": {"stars": 2}}, {"identifier": "n"}]}

    checked = await http.post(bulk, json={"entities": [{"identifier": "v"}, {"identifier": "w", "properties": {"stars": "x"}}]}, params={"validation_only": "true"})  # fmt: skip
    created = await http.post(bulk, json=sent, params={"upsert": "false"})
    merged = await http.post(bulk, json=sent, params={"upsert": "True", "merge": "True"})
    odd = await http.post(bulk, json=sent, params={"upsert": "true", "merge": "yes"})

    assert checked.status_code == 207
    assert [e["identifier"] for e in checked.json()["entities"]] == ["v"]
    assert [(e["identifier"], e["statusCode"]) for e in checked.json()["errors"]] == [("w", 422)]
    assert await store.get_entities("service", ["v", "w"]) == {}  # nothing written
    assert created.status_code == 207
    assert [(e["identifier"], e["created"]) for e in created.json()["entities"]] == [("n", True)]
    assert [(e["identifier"], e["statusCode"], e["error"]) for e in created.json()["errors"]] == [
        ("a", 409, "conflict")
    ]
    assert merged.status_code == 200
    stored = (await store.get_entities("service", ["a"]))["a"]
    assert (stored["title"], stored["properties"]["stars"]) == ("A", 2)  # merged, title kept
    assert odd.status_code == 422 and "merge must be true or false" in odd.text
    refused = await http.get("/v1/audit-log", params={"entity": "a", "status": "FAILURE"})
    assert [audit["action"] for audit in refused.json()["audits"]] == ["CREATE"]


async def test_an_entity_nested_too_deeply_to_store_fails_alone(
    client: tuple[httpx.AsyncClient, Store, str],
) -> None:
    http, store, _ = client
    deep = '{"d":' * 990 + '"bottom"' + "}" * 990  # JSON reads it; no JSON text of it is written
    entities = f'{{"identifier": "s", "title": "S"}}, {{"identifier": "deep", "properties": {{"url": {deep}}}}}'
    answer = await http.post(
        "/v1/blueprints/service/entities/bulk",
        content=f'{{"entities": [{entities}]}}',
        params={"upsert": "true", "merge": "true"},
        headers={"Content-Type": "application/json"},
    )

    assert answer.status_code == 207, answer.text
    (error,) = answer.json()["errors"]
    assert (error["identifier"], error["statusCode"]) == ("deep", 422)
    assert "nested too deeply" in error["message"]
    assert list(await store.get_entities("service", ["s", "deep"])) == ["s"]


@pytest.mark.parametrize("upsert", ["true", "false"])
@pytest.mark.parametrize(
    "identifier",
    [{"combinator": "xor", "rules": []}, ["a"], 7, "t\x00x"],
    ids=["search-object", "list", "number", "nul"],
)
async def test_an_identifier_the_catalog_cannot_hold_fails_its_entity_alone(
    client: tuple[httpx.AsyncClient, Store, str], identifier: object, upsert: str
) -> None:
    http, store, _ = client
    entities = [{"identifier": "s", "title": "S"}, {"identifier": identifier, "title": "X"}]
    answer = await http.post(
        "/v1/blueprints/service/entities/bulk",
        json={"entities": entities},
        params={"upsert": upsert, "merge": "true"},
    )

    assert answer.status_code == 207, answer.text
    (error,) = answer.json()["errors"]
    assert error["statusCode"] == 422 and "identifier" in error["message"]
    assert list(await store.get_entities("service", ["s"])) == ["s"]


async def test_an_integer_past_64_bits_is_kept_exactly(
    client: tuple[httpx.AsyncClient, Store, str],
) -> None:
    http, _, _ = client
    big = 123456789012345678901234567890
    body = f'{{"identifier": "a", "properties": {{"stars": {big}}}}}'
    answer = await http.post(
        "/v1/blueprints/service/entities",
        content=body,
        headers={"Content-Type": "application/json"},
    )
    assert answer.status_code == 201, answer.text

    stored = await http.get("/v1/blueprints/service/entities/a")

    assert json.loads(stored.text)["entity"]["properties"]["stars"] == big
