"""Roles, ownership, credential life cycle and the token route's limits of the catalog
server, over real HTTP on loopback, on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.requests import Request

from ocean.server.app import create_app
from ocean.server.auth import Tokens
from ocean.server.caller import NOTED, Callers
from ocean.server.limits import LoginLimits
from ocean.server.login import TokenGate
from ocean.store.credentials import KeepsCredentials, secret_hash
from tests import loopback
from tests.server.serving import fresh_catalog

SERVICE = {"identifier": "service", "title": "Service", "schema": {"properties": {}}}


@dataclass
class Hashes:
    """The token route's hash function, counting its calls and where they ran."""

    calls: list[str] = field(default_factory=list)
    on_loop_thread: list[bool] = field(default_factory=list)
    loop_thread: int = 0

    def __call__(self, client_id: str, secret: str) -> str:
        self.calls.append(client_id)
        self.on_loop_thread.append(threading.get_ident() == self.loop_thread)
        return secret_hash(client_id, secret)


@dataclass
class Served:
    base: str
    store: KeepsCredentials
    hashes: Hashes
    clock: list[float]

    async def credential(
        self, name: str, role: str, integration: str | None = None
    ) -> tuple[str, str]:
        return await self.store.create_credentials(name, role=role, integration=integration)

    async def client(
        self, name: str, role: str, integration: str | None = None
    ) -> httpx.AsyncClient:
        """A client holding a token of a new credential, writing as ``integration``."""
        client_id, secret = await self.credential(name, role, integration)
        async with httpx.AsyncClient(base_url=self.base) as first:
            token = await _token(first, client_id, secret)
        headers = {"User-Agent": _agent(integration), "Authorization": token}
        return httpx.AsyncClient(base_url=self.base, headers=headers)


def _agent(integration: str | None) -> str:
    return f"port-ocean/fake/0.1.0/{integration}/exporter" if integration else "scripts/1"


async def _token(client: httpx.AsyncClient, client_id: str, secret: str) -> str:
    answer = await client.post(
        "/v1/auth/access_token", json={"clientId": client_id, "clientSecret": secret}
    )
    assert answer.status_code == 200, answer.text
    return f"Bearer {answer.json()['accessToken']}"


@pytest.fixture(params=["sqlite", "postgresql"])
async def served(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Served]:
    """The server on a loopback port over a new catalog, with a counting hash function
    and limits of 3 failures per client id from one address and 5 per address, on a clock
    the test sets."""
    async with fresh_catalog(request.param, tmp_path) as store:
        clock = [1000.0]
        limits = LoginLimits(per_client=3, per_address=5, window=60.0, clock=lambda: clock[0])
        hashes = Hashes(loop_thread=threading.get_ident())
        app = create_app(store, gate=TokenGate(limits=limits, hasher=hashes))
        async with loopback.served(app) as base:
            yield Served(base, store, hashes, clock)


async def _upsert(client: httpx.AsyncClient, *identifiers: str, title: str = "t") -> httpx.Response:
    entities = [{"identifier": i, "title": title, "properties": {}} for i in identifiers]
    return await client.post(
        "/v1/blueprints/service/entities/bulk?upsert=true", json={"entities": entities}
    )


async def _stored(client: httpx.AsyncClient) -> dict[str, Any]:
    answer = await client.post(
        "/v1/entities/search",
        json={
            "combinator": "and",
            "rules": [{"property": "$blueprint", "operator": "=", "value": "service"}],
        },
    )
    return {e["identifier"]: e for e in answer.json()["entities"]}


async def _scan(client: httpx.AsyncClient, integration: str) -> httpx.Response:
    return await client.post(
        "/v1/blueprints/entities/datasource-entities",
        json={
            "datasource_prefix": "port-ocean/fake/",
            "datasource_suffix": f"/{integration}/exporter",
        },
    )


async def test_an_integration_cannot_overwrite_delete_or_list_another_s_entities(
    served: Served,
) -> None:
    admin = await served.client("admin", "admin")
    a = await served.client("a", "integration", "team-a")
    b = await served.client("b", "integration", "team-b")
    async with admin, a, b:
        assert (await admin.post("/v1/blueprints", json=SERVICE)).status_code == 201
        assert (await _upsert(a, "a1", "a2")).status_code == 200
        single = await b.post(
            "/v1/blueprints/service/entities?upsert=true", json={"identifier": "a1", "title": "B's"}
        )
        assert single.status_code == 403
        assert single.json()["error"] == "forbidden"
        assert "port-ocean/fake/0.1.0/team-a/exporter" in single.json()["message"]
        assert "admin credential" in single.json()["message"]
        mixed = await _upsert(b, "a1", "b1", title="B's")
        assert mixed.status_code == 207
        assert [(e["index"], e["statusCode"], e["error"]) for e in mixed.json()["errors"]] == [
            (0, 403, "forbidden")
        ]
        assert [e["identifier"] for e in mixed.json()["entities"]] == ["b1"]
        delete = await b.post(
            "/v1/blueprints/service/bulk/entities/delete", json={"entities": ["a1", "b1"]}
        )
        assert (delete.status_code, delete.json()["error"]) == (403, "forbidden")
        assert "team-a" in delete.json()["message"]
        assert (await _scan(b, "team-a")).status_code == 403
        assert [e["identifier"] for e in (await _scan(b, "team-b")).json()["entities"]] == ["b1"]
        posing = await _upsert(b, "b2")  # B's credential with A's User-Agent
        b.headers["User-Agent"] = _agent("team-a")
        assert (await _upsert(b, "b3")).status_code == 403
        assert (await _scan(b, "team-a")).status_code == 403
        stored = await _stored(admin)
        assert posing.status_code == 200
        assert sorted(stored) == ["a1", "a2", "b1", "b2"]
        assert stored["a1"]["title"] == "t"


async def test_an_integration_writes_the_real_entity_of_another_s_placeholder(
    served: Served,
) -> None:
    """A's write relating to a missing team makes a placeholder; B, syncing teams, writes
    the real team and owns it alone (A may no longer change it, nor delete it as stale)."""
    admin = await served.client("admin", "admin")
    a = await served.client("a", "integration", "team-a")
    b = await served.client("b", "integration", "team-b")
    team = {"identifier": "team", "title": "Team", "schema": {"properties": {}}}
    relating = SERVICE | {"relations": {"owner": {"target": "team", "many": False}}}
    async with admin, a, b:
        for blueprint in (team, relating):
            assert (await admin.post("/v1/blueprints", json=blueprint)).status_code == 201
        made = await a.post(
            "/v1/blueprints/service/entities/bulk?upsert=true&merge=true&create_missing_related_entities=true",
            json={"entities": [{"identifier": "api", "relations": {"owner": "core"}}]},
        )  # fmt: skip
        assert made.status_code == 200, made.text

        real = await b.post(
            "/v1/blueprints/team/entities?upsert=true&merge=true",
            json={"identifier": "core", "title": "Core team"},
        )
        again = await a.post(
            "/v1/blueprints/team/entities?upsert=true&merge=true",
            json={"identifier": "core", "title": "A's"},
        )

        assert real.status_code == 201, real.text
        assert real.json()["entity"]["title"] == "Core team"
        assert again.status_code == 403, again.text
        assert [e["identifier"] for e in (await _scan(a, "team-a")).json()["entities"]] == ["api"]


async def test_an_integration_cannot_delete_another_s_entities_through_their_relations(
    served: Served,
) -> None:
    admin = await served.client("admin", "admin")
    a = await served.client("a", "integration", "team-a")
    b = await served.client("b", "integration", "team-b")
    team = {"identifier": "team", "title": "Team", "schema": {"properties": {}}}
    relating = SERVICE | {
        "relations": {"team": {"target": "team", "many": False, "required": False}}
    }
    async with admin, a, b:
        await admin.post("/v1/blueprints", json=team)
        await admin.post("/v1/blueprints", json=relating)
        await b.post(
            "/v1/blueprints/team/entities?upsert=true", json={"identifier": "t1", "title": "T"}
        )
        await a.post(
            "/v1/blueprints/service/entities?upsert=true",
            json={"identifier": "a1", "title": "A", "relations": {"team": "t1"}},
        )
        cascade = await b.post(
            "/v1/blueprints/team/bulk/entities/delete?delete_dependents=true",
            json={"entities": ["t1"]},
        )
        assert cascade.status_code == 403
        assert "a1" in cascade.json()["message"]
        assert "a1" in await _stored(admin)


async def test_admin_can_do_what_integrations_cannot(served: Served) -> None:
    admin = await served.client("admin", "admin")
    a = await served.client("a", "integration", "team-a")
    async with admin, a:
        await admin.post("/v1/blueprints", json=SERVICE)
        await _upsert(a, "a1", "a2")
        assert (await _upsert(admin, "a1", title="admin's")).status_code == 200
        assert [e["identifier"] for e in (await _scan(admin, "team-a")).json()["entities"]] == [
            "a1",
            "a2",
        ]
        assert (await a.patch("/v1/integration/team-b", json={"config": {}})).status_code == 403
        assert (
            await a.post("/v1/integration", json={"installationId": "team-b"})
        ).status_code == 403
        renamed = await a.post(
            "/v1/integration", json={"installationId": "team-a", "identifier": "team-b"}
        )
        assert renamed.status_code == 200
        assert renamed.json()["integration"]["identifier"] == "team-a"  # its own record only
        patched = await a.patch("/v1/integration/team-a", json={"identifier": "team-b"})
        assert patched.json()["integration"]["identifier"] == "team-a"
        assert (
            await admin.post("/v1/integration", json={"installationId": "team-b"})
        ).status_code == 200
        deleted = await admin.post(
            "/v1/blueprints/service/bulk/entities/delete", json={"entities": ["a2"]}
        )
        assert deleted.json()["deletedEntities"] == ["a2"]
        stored = await _stored(admin)
        assert sorted(stored) == ["a1"]
        assert stored["a1"]["title"] == "admin's"


async def test_read_only_is_refused_every_write(served: Served) -> None:
    admin = await served.client("admin", "admin")
    reader = await served.client("reader", "read-only")
    async with admin, reader:
        await admin.post("/v1/blueprints", json=SERVICE)
        await _upsert(admin, "s1")
        assert (await reader.get("/v1/blueprints")).status_code == 200
        assert list(await _stored(reader)) == ["s1"]
        writes = [
            await _upsert(reader, "s2"),
            await reader.post("/v1/blueprints", json=SERVICE | {"identifier": "other"}),
            await reader.patch("/v1/blueprints/service", json={"title": "x"}),
            await reader.post(
                "/v1/blueprints/service/bulk/entities/delete", json={"entities": ["s1"]}
            ),
            await reader.post("/v1/integration", json={"installationId": "x"}),
            await reader.put(
                "/v1/ocean/pages", json={"slot": "s", "fingerprint": "f", "records": []}
            ),
        ]
        assert {(w.status_code, w.json()["error"]) for w in writes} == {(403, "forbidden")}
        assert "may only read" in writes[0].json()["message"]
        assert list(await _stored(admin)) == ["s1"]


async def test_a_revoked_credential_s_token_is_refused_at_once(served: Served) -> None:
    client_id, secret = await served.credential("a", "integration", "team-a")
    async with httpx.AsyncClient(base_url=served.base) as client:
        headers = {"Authorization": await _token(client, client_id, secret)}
        assert (await client.get("/v1/blueprints", headers=headers)).status_code == 200
        revoked = await served.store.revoke_credential(client_id)
        assert revoked.revoked_at is not None
        refused = await client.get("/v1/blueprints", headers=headers)
        assert (refused.status_code, refused.json()["error"]) == (401, "unauthorized")
        assert "revoked" in refused.json()["message"]
        again = await client.post(
            "/v1/auth/access_token", json={"clientId": client_id, "clientSecret": secret}
        )
        assert again.status_code == 401


async def test_rotate_invalidates_the_old_secret_and_its_tokens(served: Served) -> None:
    client_id, old = await served.credential("a", "integration", "team-a")
    async with httpx.AsyncClient(base_url=served.base) as client:
        headers = {"Authorization": await _token(client, client_id, old)}
        new = await served.store.rotate_credential(client_id)
        refused = await client.get("/v1/blueprints", headers=headers)
        assert refused.status_code == 401 and "rotated" in refused.json()["message"]
        stale = await client.post(
            "/v1/auth/access_token", json={"clientId": client_id, "clientSecret": old}
        )
        assert stale.status_code == 401
        fresh = {"Authorization": await _token(client, client_id, new)}
        assert (await client.get("/v1/blueprints", headers=fresh)).status_code == 200
        (listed,) = await served.store.list_credentials()
        assert (listed.version, listed.role, listed.integration) == (2, "integration", "team-a")


async def test_an_unknown_client_id_costs_the_same_hashing_as_a_known_one(served: Served) -> None:
    client_id, secret = await served.credential("a", "admin")
    revoked_id, _ = await served.credential("gone", "admin")
    await served.store.revoke_credential(revoked_id)
    attempts = [
        (client_id, "wrong"),
        ("ocean-unknown", "wrong"),
        (revoked_id, "x"),
        (client_id, secret),
    ]
    async with httpx.AsyncClient(base_url=served.base) as client:
        for attempt_id, attempt_secret in attempts:
            before = len(served.hashes.calls)
            await client.post(
                "/v1/auth/access_token",
                json={"clientId": attempt_id, "clientSecret": attempt_secret},
            )
            assert served.hashes.calls[before:] == [attempt_id]
    assert not any(served.hashes.on_loop_thread)  # hashed on worker threads


async def test_failed_token_requests_are_limited_per_client_id_and_per_address(
    served: Served,
) -> None:
    client_id, secret = await served.credential("a", "admin")
    async with httpx.AsyncClient(base_url=served.base) as client:

        async def attempt(who: str, what: str) -> httpx.Response:
            return await client.post(
                "/v1/auth/access_token", json={"clientId": who, "clientSecret": what}
            )

        assert [(await attempt(client_id, "wrong")).status_code for _ in range(3)] == [401] * 3
        limited = await attempt(client_id, secret)  # even the right secret, while locked
        assert (limited.status_code, limited.json()["error"]) == (429, "rate_limited")
        assert int(limited.headers["Retry-After"]) == 20  # one failure back in 60 s / 3
        calls = len(served.hashes.calls)
        assert (await attempt(client_id, secret)).status_code == 429
        assert len(served.hashes.calls) == calls  # refused before any hashing
        other = [(await attempt("ocean-other", "wrong")).status_code for _ in range(3)]
        assert other == [401, 401, 429]  # 5 failures per address
        assert "address" in (await attempt("ocean-third", "x")).json()["message"]
        served.clock[0] += 60
        assert (await attempt(client_id, secret)).status_code == 200


async def test_the_single_entity_routes_keep_to_the_owner(served: Served) -> None:
    admin = await served.client("admin", "admin")
    a = await served.client("a", "integration", "team-a")
    b = await served.client("b", "integration", "team-b")
    async with admin, a, b:
        await admin.post("/v1/blueprints", json=SERVICE)
        await _upsert(a, "a1", "a2")
        one = "/v1/blueprints/service/entities/a1"
        refused = [
            await b.put(one, json={"identifier": "a1", "title": "B's"}),
            await b.patch(one, json={"title": "B's"}),
            await b.delete(one),
            await b.delete("/v1/blueprints/service/all-entities"),
            await b.delete("/v1/blueprints/service"),
        ]
        assert [r.status_code for r in refused] == [403] * 5
        assert "team-a" in refused[0].json()["message"]
        assert (await a.patch(one, json={"title": "A's"})).status_code == 200
        assert (await a.delete("/v1/blueprints/service/entities/a2")).status_code == 200
        stored = await _stored(admin)
        assert sorted(stored) == ["a1"] and stored["a1"]["title"] == "A's"


async def _verdict(
    client: httpx.AsyncClient, route: str, identifier: str, params: dict[str, str]
) -> tuple[int, str | None]:
    """A write's answer as (status, error code): a bulk write's for its one entity."""
    entity = {"identifier": identifier, "title": "changed", "properties": {}}
    if route == "single":
        answer = await client.post("/v1/blueprints/service/entities", json=entity, params=params)
        return answer.status_code, answer.json().get("error")
    answer = await client.post(
        "/v1/blueprints/service/entities/bulk", json={"entities": [entity]}, params=params
    )
    errors = answer.json()["errors"]
    return (errors[0]["statusCode"], errors[0]["error"]) if errors else (answer.status_code, None)


@pytest.mark.parametrize(
    ("route", "writer", "identifier", "upsert", "refusal"),
    [
        ("bulk", "b", "a1", "true", (403, "forbidden")),
        ("single", "b", "a1", "true", (403, "forbidden")),
        ("bulk", "b", "a1", "false", (403, "forbidden")),
        ("single", "b", "a1", "false", (403, "forbidden")),
        ("bulk", "admin", "a1", "false", (409, "conflict")),
        ("single", "admin", "a1", "false", (409, "conflict")),
        ("bulk", "b", "b1", "true", None),
        ("single", "b", "b1", "false", None),
    ],
)
async def test_validation_only_refuses_what_the_write_would_and_writes_nothing(
    served: Served,
    route: str,
    writer: str,
    identifier: str,
    upsert: str,
    refusal: tuple[int, str] | None,
) -> None:
    admin = await served.client("admin", "admin")
    a = await served.client("a", "integration", "team-a")
    b = await served.client("b", "integration", "team-b")
    client = {"admin": admin, "b": b}[writer]
    async with admin, a, b:
        await admin.post("/v1/blueprints", json=SERVICE)
        await _upsert(a, "a1")
        checked = await _verdict(client, route, identifier, {"upsert": upsert, "validation_only": "true"})  # fmt: skip
        stored = await _stored(admin)
        written = await _verdict(client, route, identifier, {"upsert": upsert})

    assert sorted(stored) == ["a1"] and stored["a1"]["title"] == "t"  # nothing written
    if refusal is None:
        assert checked == (200, None)
        assert written[1] is None
    else:
        assert checked == refusal
        assert written == refusal


def test_the_holders_of_tokens_noted_are_bounded_and_the_registry_answers_for_the_rest() -> None:
    tokens = Tokens()
    callers = Callers(tokens)
    first = tokens.issue("ci", 1)
    callers.issued(first, "ci")
    for n in range(NOTED):
        callers.issued(f"t{n}", "other")

    assert len(callers._holders) <= NOTED
    request = Request({"type": "http", "headers": [(b"authorization", f"Bearer {first}".encode())]})
    assert callers.of(request).credential == "ci"  # found in the registry
