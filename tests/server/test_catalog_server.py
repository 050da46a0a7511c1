"""The Port-compatible catalog server, over real HTTP on loopback, driven by Ocean's client."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import types
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
import uvicorn

import ocean.store.base
from ocean.job import SilentObserver
from ocean.listen.once import run_once, start
from ocean.sail import Sail, prepare
from ocean.server.app import create_app
from ocean.store.base import Owner, Store
from ocean.store.open import open_store
from ocean.store.port.limits import CLIENT_HEADER, HEADER, OCEAN_SERVER, Limits
from ocean.store.port.store import PortAPIStore
from tests.conftest import BLUEPRINTS, POSTGRES_URL, TEAMS, Workspace, services
from tests.loopback import free_port


@pytest.fixture(params=["sqlite", "postgresql"])
async def served(
    request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[tuple[str, Store]]:
    """A catalog store served on a loopback port; yields the base URL and the store."""
    schema = f"test_{uuid.uuid4().hex[:12]}"
    url = (
        str(tmp_path / "served.db")
        if request.param == "sqlite"
        else f"{POSTGRES_URL}?schema={schema}"
    )
    store = await open_store(url)
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(create_app(store), host="127.0.0.1", port=port, log_level="warning")
    )
    task = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.01)
    yield f"http://127.0.0.1:{port}", store
    server.should_exit = True
    await task
    await store.close()
    if request.param == "postgresql":
        connection = await asyncpg.connect(POSTGRES_URL)
        await connection.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        await connection.close()


async def test_every_route_but_the_token_needs_a_valid_token(served: tuple[str, Store]) -> None:
    base, store = served
    client_id, secret = await store.create_credentials("tests")
    async with httpx.AsyncClient(base_url=base) as client:
        assert (await client.get("/v1/blueprints")).status_code == 401
        assert (
            await client.get("/v1/blueprints", headers={"Authorization": "Bearer nope"})
        ).json()["error"] == "unauthorized"
        wrong = await client.post(
            "/v1/auth/access_token", json={"clientId": client_id, "clientSecret": "bad"}
        )
        assert wrong.status_code == 401
        token = (
            await client.post(
                "/v1/auth/access_token", json={"clientId": client_id, "clientSecret": secret}
            )
        ).json()
        headers = {"Authorization": f"{token['tokenType']} {token['accessToken']}"}
        assert (await client.get("/v1/blueprints", headers=headers)).json() == {
            "ok": True,
            "blueprints": [],
        }
        missing = await client.get("/v1/blueprints/nope", headers=headers)
        assert (missing.status_code, missing.json()["error"]) == (404, "not_found")
        lower = {"Authorization": f"bearer  {token['accessToken']}"}  # (schemes are caseless)
        assert (await client.get("/v1/blueprints", headers=lower)).status_code == 200


async def _client_of(
    served: tuple[str, Store], folder: Path, pages: list[list[dict[str, Any]]]
) -> tuple[Workspace, Sail, PortAPIStore]:
    """An integration folder with ``pages`` of services, and Ocean's client of the server."""
    base, store = served
    client_id, secret = await store.create_credentials("tests")
    workspace = Workspace(folder)
    workspace.set_data(services=pages, teams=TEAMS)
    prepared = prepare(workspace.folder, environ=workspace.environ, overrides={})
    return workspace, prepared, PortAPIStore.connect(base, client_id, secret)


async def test_a_sync_through_the_server_matches_the_embedded_catalog(
    served: tuple[str, Store], tmp_path: Path
) -> None:
    store = served[1]
    workspace, prepared, client = await _client_of(served, tmp_path / "ws", [services(30)])

    first = await run_once(prepared, client, SilentObserver())
    again = await run_once(prepared, client, SilentObserver())
    workspace.set_data(services=[services(29)], teams=TEAMS)
    shrunk = await run_once(
        prepare(workspace.folder, environ=workspace.environ, overrides={}), client, SilentObserver()
    )
    await client.close()
    await workspace.sail()  # the same data into the embedded catalog
    workspace.set_data(services=[services(30)], teams=TEAMS)

    assert (first.status, first.total("created")) == ("completed", 32)
    assert again.total("unchanged") == 32 and again.total("created") + again.total("updated") == 0
    assert shrunk.deleted == 1

    def comparable(entities: dict[str, Any]) -> dict[str, Any]:
        return {
            k: {f: v for f, v in e.items() if f not in ("createdAt", "updatedAt")}
            for k, e in entities.items()
        }

    served_entities = {e["identifier"]: e async for e in store.iter_entities()}
    embedded = await workspace.entities()
    assert comparable(served_entities) == comparable(embedded)


async def test_oceans_client_skips_unchanged_pages_through_the_server_and_repairs_edits(
    served: tuple[str, Store], tmp_path: Path
) -> None:
    store = served[1]
    pages = [services(3), services(3, start=3)]
    _, prepared, client = await _client_of(served, tmp_path / "ws", pages)
    await run_once(prepared, client, SilentObserver())
    edit = {"identifier": "svc-4", "blueprint": "service", "title": "Edited"}
    await store.upsert_entities([edit], owner=Owner("ui", "someone"), merge=True)  # type: ignore[list-item]

    rerun = await run_once(prepared, client, SilentObserver())
    await client.close()

    service = next(kind for kind in rerun.kinds if kind.kind == "service")
    assert (service.unchanged_pages, service.updated, service.unchanged) == (1, 1, 5)
    assert (await store.get_entities("service", ["svc-4"]))["svc-4"]["title"] == "Service 4"


async def _signed_in(client: httpx.AsyncClient, store: Store) -> dict[str, str]:
    """Headers with a fresh token; the token answer offers Ocean's larger limits."""
    client_id, secret = await store.create_credentials("tests")
    answer = await client.post(
        "/v1/auth/access_token", json={"clientId": client_id, "clientSecret": secret}
    )
    assert Limits.from_header(answer.headers.get(HEADER)) == OCEAN_SERVER
    return {"Authorization": f"Bearer {answer.json()['accessToken']}"}


@pytest.mark.parametrize(
    ("method", "path", "body", "message"),
    [
        pytest.param("POST", "/v1/ocean/pages/recall", {}, "string slot", id="recall-no-slot"),
        pytest.param(
            "PUT",
            "/v1/ocean/pages",
            {"slot": "0:x", "fingerprint": "f", "records": [{"digest": "zz"}]},
            "records must be a list",
            id="remember-bad-record",
        ),
    ],
)
async def test_malformed_extension_calls_are_refused_with_the_reason(
    served: tuple[str, Store], method: str, path: str, body: dict[str, Any], message: str
) -> None:
    async with httpx.AsyncClient(base_url=served[0]) as client:
        headers = await _signed_in(client, served[1])
        answer = await client.request(method, path, json=body, headers=headers)
    assert answer.status_code == 422 and message in answer.json()["message"]


@pytest.mark.parametrize(
    ("client_headers", "status"),
    [
        pytest.param({}, 413, id="any-client-gets-ports-limit"),
        pytest.param({CLIENT_HEADER: "1"}, 200, id="oceans-client-gets-the-offered-limit"),
    ],
)
async def test_bodies_over_one_mebibyte_are_refused_unless_the_client_took_the_offer(
    served: tuple[str, Store], client_headers: dict[str, str], status: int
) -> None:
    await served[1].create_blueprints([{"identifier": "service", "title": "Service"}])
    async with httpx.AsyncClient(base_url=served[0]) as client:
        headers = await _signed_in(client, served[1]) | client_headers
        huge = {"entities": [{"identifier": f"x{i}", "title": "y" * 2000} for i in range(600)]}
        answer = await client.post(
            "/v1/blueprints/service/entities/bulk", json=huge, headers=headers
        )
    assert answer.status_code == status
    if status == 413:
        assert answer.json()["error"] == "request_too_large"


async def test_the_openapi_description_lists_every_route_and_needs_no_token(
    served: tuple[str, Store],
) -> None:
    base, _ = served
    async with httpx.AsyncClient(base_url=base) as client:
        schema = (await client.get("/openapi.json")).json()
    assert schema["openapi"].startswith("3.")
    bulk = schema["paths"]["/v1/blueprints/{bp}/entities/bulk"]["post"]
    assert bulk["summary"].startswith("Upsert up to 20 entities")
    assert [p["name"] for p in bulk["parameters"] if p["in"] == "path"] == ["bp"]
    assert "entities" in bulk["requestBody"]["content"]["application/json"]["schema"]["properties"]
    assert bulk["security"] == [{"bearer": []}]
    assert "security" not in schema["paths"]["/v1/auth/access_token"]["post"]
    assert {"get", "patch"} <= set(schema["paths"]["/v1/integration/{id}"])


async def _syncing(
    served: tuple[str, Store], tmp_path: Path, pages: list[list[dict[str, Any]]]
) -> tuple[Workspace, PortAPIStore, tuple[str, str]]:
    """A workspace yielding ``pages`` of services, and Ocean's client of the served
    catalog with a fresh credential (its id and secret)."""
    base, store = served
    credential = await store.create_credentials("tests")
    workspace = Workspace(tmp_path / "ws")
    workspace.set_data(services=pages, teams=TEAMS)
    return workspace, PortAPIStore.connect(base, *credential), credential


async def test_a_sync_through_the_server_fails_an_item_whose_id_is_a_list_alone(
    served: tuple[str, Store], tmp_path: Path
) -> None:
    page = services(3)
    page[1]["id"] = ["a", "b"]
    workspace, client, _ = await _syncing(served, tmp_path, [page])
    try:
        report = await run_once(
            prepare(workspace.folder, environ=workspace.environ, overrides={}), client,
            SilentObserver(),
        )  # fmt: skip
    finally:
        await client.close()

    service = next(kind for kind in report.kinds if kind.kind == "service")
    assert (service.created, service.failed) == (2, 1)
    assert "must be a non-empty string" in service.errors[0]


async def test_the_client_installs_its_integration_then_patches_only_what_changed(
    served: tuple[str, Store], tmp_path: Path
) -> None:
    base, store = served
    workspace, client, (client_id, secret) = await _syncing(served, tmp_path, [services(1)])
    environ = workspace.environ | {"OCEAN__INTEGRATION__IDENTIFIER": "svc-sync"}
    try:
        await run_once(
            prepare(workspace.folder, environ=environ, overrides={}), client, SilentObserver()
        )
        async with httpx.AsyncClient(base_url=base) as http:
            token = (
                await http.post(
                    "/v1/auth/access_token", json={"clientId": client_id, "clientSecret": secret}
                )
            ).json()
            headers = {"Authorization": f"Bearer {token['accessToken']}"}
            installed = (await http.get("/v1/integration/svc-sync", headers=headers)).json()[
                "integration"
            ]
            kafka = prepare(
                workspace.folder,
                environ=environ | {"OCEAN__EVENT_LISTENER__TYPE": "KAFKA"},
                overrides={},
            )
            await start(kafka, client)
            patched = (await http.get("/v1/integration/svc-sync", headers=headers)).json()[
                "integration"
            ]
    finally:
        await client.close()
    assert (
        installed["installationAppType"] == "integration"
        and installed["changelogDestination"] == {}
    )
    assert [r["kind"] for r in installed["config"]["resources"]] == ["team", "service"]
    assert patched["changelogDestination"] == {"type": "KAFKA"}
    assert patched["config"] == installed["config"]
    kept = await store.get_integration("svc-sync")  # in the store: a server restart keeps it
    assert kept is not None and kept["changelogDestination"] == {"type": "KAFKA"}
    assert kept["resyncState"]["status"] == "completed"


async def test_concurrent_bulk_requests_are_grouped_and_each_gets_its_own_results(
    served: tuple[str, Store],
) -> None:
    base, store = served
    await store.create_blueprints(BLUEPRINTS)
    client_id, secret = await store.create_credentials("tests")

    def request_body(n: int) -> dict[str, Any]:  # 20 entities: Port's most per call
        entities = [{"identifier": f"svc-{n}-{i}", "properties": {"stars": i}} for i in range(18)]
        entities.insert(n % 18, {"identifier": f"bad-{n}", "properties": {"stars": "many"}})
        entities.append({"identifier": "shared", "properties": {"stars": n}})
        return {"entities": entities}

    async with httpx.AsyncClient(base_url=base) as client:
        token = (
            await client.post(
                "/v1/auth/access_token", json={"clientId": client_id, "clientSecret": secret}
            )
        ).json()
        headers = {
            "Authorization": f"Bearer {token['accessToken']}",
            "User-Agent": "port-ocean/t/1/t-1/exporter",
        }
        answers = await asyncio.gather(*(
            client.post("/v1/blueprints/service/entities/bulk", json=request_body(n), headers=headers)
            for n in range(10)
        ))  # fmt: skip
    for n, answer in enumerate(answers):
        body = answer.json()
        assert answer.status_code == 207
        assert [e["index"] for e in body["errors"]] == [n % 18]
        assert body["errors"][0]["identifier"] == f"bad-{n}"
        assert len(body["entities"]) == 19 and body["entities"][-1]["identifier"] == "shared"
    counts = await store.count_entities()
    assert counts["service"] == 10 * 18 + 1


@contextlib.asynccontextmanager
async def _client(served: tuple[str, Store]) -> AsyncIterator[tuple[Store, PortAPIStore]]:
    """The served store with the test blueprints, and Ocean's client signed in to it."""
    base, store = served
    await store.create_blueprints(BLUEPRINTS)
    client = PortAPIStore.connect(base, *await store.create_credentials("tests"))
    try:
        yield store, client
    finally:
        await client.close()


async def test_the_client_finds_who_relates_to_which_keys(
    served: tuple[str, Store],
) -> None:
    owner = Owner("t", "t-1")
    teams = [{"identifier": t, "blueprint": "team"} for t in ("core", "edge", "ops")]
    users = [
        {"identifier": f"svc-{t}", "blueprint": "service", "relations": {"team": t}}
        for t in ("core", "ops")
    ]
    async with _client(served) as (store, client):
        await store.upsert_entities(teams + users, owner=owner, merge=False)  # type: ignore[arg-type]

        keys = [("team", "core"), ("team", "edge"), ("team", "ops"), ("service", "svc-ops")]
        found = await client.dependents(keys, after="2000-01-01T00:00:00.000Z")
        assert found.of == {
            ("team", "core"): {("service", "svc-core")},
            ("team", "ops"): {("service", "svc-ops")},
        }
        assert found.fresh == {("service", "svc-core"), ("service", "svc-ops")}


async def test_oceans_client_deleting_without_dependents_keeps_only_what_others_relate_to(
    served: tuple[str, Store],
) -> None:
    """The server refuses the whole call (as Port): the client deletes one at a time."""
    teams = [{"identifier": t, "blueprint": "team"} for t in ("core", "edge", "ops")]
    user = {"identifier": "svc-core", "blueprint": "service", "relations": {"team": "core"}}
    async with _client(served) as (store, client):
        await store.upsert_entities([*teams, user], owner=Owner("t", "t-1"), merge=False)  # type: ignore[list-item]

        keys = [("team", "core"), ("team", "edge"), ("team", "ops")]
        result = await client.delete_entities(keys, delete_dependents=False)

        assert sorted(result.deleted) == [("team", "edge"), ("team", "ops")]
        assert result.blocked == {("team", "core"): [("service", "svc-core")]}
        assert list(await store.get_entities("team", ["core", "edge", "ops"])) == ["core"]


async def test_oceans_client_reads_the_time_the_server_stamps_writes_with(
    served: tuple[str, Store], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A resync through the server starts by the server's clock, which stamps what is
    written since: a client whose clock runs ahead would find a write made after its start
    older than the start, and delete it as stale."""
    async with _client(served) as (store, client):
        monkeypatch.setattr(ocean.store.base, "dt", _hour_ahead())  # this host, not the server
        started = await client.now()
        await store.upsert_entities(  # type: ignore[arg-type]
            [{"identifier": "core", "blueprint": "team"}], owner=Owner("t", "t-1"), merge=False
        )
        monkeypatch.undo()
        written = (await store.get_entities("team", ["core"]))["core"]["updatedAt"]

    assert started <= written


def _hour_ahead() -> types.SimpleNamespace:
    class Ahead(dt.datetime):
        @classmethod
        def now(cls, tz: dt.tzinfo | None = None) -> Ahead:
            moment = dt.datetime.now(tz) + dt.timedelta(hours=1)
            return cls.fromtimestamp(moment.timestamp(), tz)

    return types.SimpleNamespace(datetime=Ahead, UTC=dt.UTC, timedelta=dt.timedelta)


async def test_a_sync_through_the_server_records_its_run_with_its_start_and_kinds(
    served: tuple[str, Store], tmp_path: Path
) -> None:
    """The server records a run when its end is reported: its start from the ``running``
    state (an end does not say it again), and Ocean's client sends its report's kinds."""
    store = served[1]
    _, prepared, client = await _client_of(served, tmp_path / "ws", [services(3)])

    report = await run_once(prepared, client, SilentObserver())
    await client.close()

    (run,) = await store.list_runs(integration=prepared.owner.identifier)
    assert run.status == "completed" and run.started_at == report.started_at
    created = {kind["kind"]: kind["created"] for kind in run.report["kinds"]}
    assert created == {"team": 2, "service": 3}
