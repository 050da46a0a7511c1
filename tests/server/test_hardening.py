"""The catalog server's answers to what a hostile or careless client sends: a sign-in form
too large to hold, values PostgreSQL cannot store, run reports the pages cannot read; and
what it keeps from every viewer (the passwords of the URLs it names)."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest

from ocean.monitor.report import KindReport, ResyncReport
from ocean.server.app import create_app
from ocean.store.base import RunRecord
from ocean.store.postgres.store import PostgresStore
from ocean.store.sqlite.store import SQLiteStore
from tests import loopback
from tests.conftest import POSTGRES_URL
from tests.server.conftest import TEAM
from tests.server.serving import fresh_catalog, served_as_admin
from tests.server.test_ui_http import sign_in as ui_sign_in
from tests.server.test_unavailable_catalog import Relay
from tests.server.ui_catalog import seed

FORM = {"content-type": "application/x-www-form-urlencoded"}


async def test_an_oversized_sign_in_form_is_refused_413_without_being_read_whole(
    tmp_path: Path,
) -> None:
    store = await SQLiteStore.open(tmp_path / "catalog.db")
    pulled = 0

    async def chunks() -> AsyncIterator[bytes]:  # 16 MiB, sent without a Content-Length
        nonlocal pulled
        for _ in range(256):
            pulled += 1
            yield b"a" * 65536

    transport = httpx.ASGITransport(app=create_app(store))
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://ui.test") as client:
            streamed = await client.post("/ui/login", content=chunks(), headers=FORM)
            declared = await client.post("/ui/login", content=b"a" * 65537, headers=FORM)
    finally:
        await store.close()

    assert streamed.status_code == 413, streamed.text
    assert pulled <= 2  # refused as the stream passed 64 KiB
    assert declared.status_code == 413  # by its Content-Length
    assert "larger than the UI sends" in declared.text


@pytest.mark.parametrize(
    "queue",
    [
        "redis://:TopSecretQueuePw@127.0.0.1:1/0",  # Redis refuses: its error, the URL beside
        "amqp://ocean:TopSecretQueuePw@127.0.0.1:1/",  # no such queue: the error repeats it
    ],
    ids=["unreachable", "unknown-scheme"],
)
async def test_the_integration_page_names_the_queue_without_its_password(
    tmp_path: Path, queue: str
) -> None:
    store = await SQLiteStore.open(tmp_path / "catalog.db")
    credentials = await seed(store, tmp_path)
    app = create_app(store, queue_of=lambda _: queue)
    try:
        async with loopback.served(app) as base:
            async with httpx.AsyncClient(base_url=base) as reader:
                await ui_sign_in(reader, credentials.reader)
                page = await reader.get("/ui/integrations/fake-ui")
            async with httpx.AsyncClient(base_url=base) as admin:
                csrf = await ui_sign_in(admin, credentials.admin)
                sent = await admin.post(
                    "/ui/integrations/fake-ui/retry", data={"csrf": csrf}, headers=FORM
                )
                assert sent.status_code == 303, sent.text
                retried = await admin.get(sent.headers["location"])  # its flash
    finally:
        await store.close()

    assert page.status_code == 200 and retried.status_code == 200
    shown = queue.replace("TopSecretQueuePw", "***")
    assert f"<code>{shown}</code>" in page.text
    for answer in (page, retried):
        assert "TopSecretQueuePw" not in answer.text
    assert "cannot reach" in retried.text or shown in retried.text  # the retry's flash


MALFORMED = [
    ({"kinds": [{"kind": "k", "extract_seconds": "x"}]}, "kinds[0].extract_seconds"),
    ({"kinds": "everything"}, "kinds must be a list"),
    ({"kinds": [{"kind": "k"}, 3]}, "kinds[1] must be an object"),
    ({"kinds": [{"kind": "k", "misconfigurations": ["a"]}]}, "kinds[0].misconfigurations"),
    ({"kinds": [{"kind": "k", "created": True}]}, "kinds[0].created must be a number"),
    ({"kinds": [{"kind": "k", "errors": "boom"}]}, "kinds[0].errors"),
    ({"errors": "boom", "kinds": []}, "errors must be a list of strings"),
    ({"deleted": {"a": 1}}, "deleted must be a number"),
    ({"deletion_notes": [1]}, "deletion_notes"),
]


@pytest.mark.parametrize(("report", "named"), MALFORMED)
async def test_a_resync_state_whose_report_the_catalog_cannot_read_is_refused_naming_the_field(
    tmp_path: Path, report: dict[str, Any], named: str
) -> None:
    ocean_s = ResyncReport("inta", "port-api", "2026-01-01T00:00:00Z", status="failed")
    ocean_s.kinds.append(KindReport("k", 0, extracted=3, load_seconds=1.5, errors=["e"]))
    async with (
        fresh_catalog("sqlite", tmp_path) as store,
        served_as_admin(store) as (_, admin),
    ):
        state = "/v1/integration/inta/resync-state"
        refused = await admin.patch(state, json={"status": "failed", **report})
        assert await store.list_runs(10, "inta") == []
        kept = await admin.patch(state, json=ocean_s.to_dict())  # as Ocean records one
        port_ocean_s = {"status": "completed", "lastResyncEnd": None, "nextResync": None}
        also = await admin.patch(state, json=port_ocean_s | {"intervalInMinuets": 60})

    assert (refused.status_code, refused.json()["error"]) == (422, "invalid_request")
    assert named in refused.json()["message"], refused.json()
    assert (kept.status_code, also.status_code) == (200, 200)


@pytest.mark.parametrize("report", [report for report, _ in MALFORMED])
async def test_the_integration_page_shows_a_malformed_run_report_as_far_as_it_reads(
    tmp_path: Path, report: dict[str, Any]
) -> None:
    store = await SQLiteStore.open(tmp_path / "catalog.db")
    credentials = await seed(store, tmp_path)
    await store.record_run(RunRecord("fake-ui", "port-api", "", None, "failed", report))
    transport = httpx.ASGITransport(app=create_app(store))
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://ui.test") as client:
            await ui_sign_in(client, credentials.admin)
            page = await client.get("/ui/integrations/fake-ui")
    finally:
        await store.close()

    assert page.status_code == 200, page.text
    assert "GitHub answered 502 Bad Gateway" in page.text  # the well-formed run still shows
    if report.get("kinds") and isinstance(report["kinds"], list):
        assert "<code>k</code>" in page.text


async def test_an_outage_s_503_leaves_out_the_passwords_of_the_catalog_url(
    tmp_path: Path,
) -> None:
    relay, schema = Relay(), f"test_{uuid.uuid4().hex[:12]}"
    url = f"{await relay.start()}?schema={schema}&password=TopSecretPg&sslpassword=KeyPw"
    store = await PostgresStore.open(url)
    try:
        async with loopback.served(create_app(store), log_level="critical") as base:
            relay.cut()
            async with httpx.AsyncClient(base_url=base) as client:
                body = {"clientId": "ocean-x", "clientSecret": "y"}
                down = await client.post("/v1/auth/access_token", json=body)
    finally:
        relay.mend()
        await store.close()
        await relay.stop()
        connection = await asyncpg.connect(POSTGRES_URL)
        await connection.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        await connection.close()

    assert (down.status_code, down.json()["error"]) == (503, "catalog_unavailable")
    message = down.json()["message"]
    assert "TopSecretPg" not in message and "KeyPw" not in message
    assert f"schema={schema}&password=***&sslpassword=***" in message


async def _exchange(
    stream: tuple[asyncio.StreamReader, asyncio.StreamWriter],
    method: str,
    target: str,
    token: str,
    body: dict[str, Any] | None = None,
) -> tuple[int, dict[str, Any]]:
    """One request on a kept HTTP/1.1 connection, and its status and JSON answer (an
    IncompleteReadError when the server dropped the connection)."""
    reader, writer = stream
    sent = json.dumps(body).encode() if body is not None else b""
    writer.write(
        f"{method} {target} HTTP/1.1\r\nHost: catalog\r\nAuthorization: {token}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(sent)}\r\n\r\n".encode()
        + sent
    )
    await writer.drain()
    head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
    length = next(int(h.split(":")[1]) for h in head if h.lower().startswith("content-length"))
    return int(head[0].split()[1]), json.loads(await reader.readexactly(length))


async def test_a_nul_on_postgresql_is_a_422_naming_the_value_and_the_connection_is_kept(
    tmp_path: Path,
) -> None:
    async with (
        fresh_catalog("postgresql", tmp_path) as store,
        served_as_admin(store) as (base, admin),
    ):
        assert (await admin.post("/v1/blueprints", json=TEAM)).status_code == 201
        token, port = admin.headers["Authorization"], int(base.rsplit(":", 1)[1])
        stream = await asyncio.open_connection("127.0.0.1", port)
        try:
            entity = await _exchange(stream, "GET", "/v1/blueprints/team/entities/a%00b", token)
            audit = await _exchange(stream, "GET", "/v1/audit-log?entity=a%00b", token)
            nul_id = {"clientId": "a\x00b", "clientSecret": "s"}
            signed = await _exchange(stream, "POST", "/v1/auth/access_token", "", nul_id)
            after = await _exchange(stream, "GET", "/v1/blueprints/team", token)
        finally:
            stream[1].close()

    for status, answer in (entity, audit):
        assert (status, answer["error"]) == (422, "invalid_request")
        assert "'a\\x00b'" in answer["message"] and "NUL" in answer["message"]
    assert "path parameter" in entity[1]["message"]
    assert "query parameter entity" in audit[1]["message"]
    assert signed[0] == 401  # no client id holds NUL: a failed sign-in like another
    assert after[0] == 200  # the same connection answers on


async def test_a_nul_client_id_at_the_ui_sign_in_on_postgresql_is_a_failed_sign_in(
    tmp_path: Path,
) -> None:
    async with (
        fresh_catalog("postgresql", tmp_path) as store,
        served_as_admin(store) as (base, _),
        httpx.AsyncClient(base_url=base) as browser,
    ):
        form = await browser.get("/ui/login")
        csrf = form.text.split('name="csrf" value="')[1].split('"')[0]
        answer = await browser.post(
            "/ui/login", data={"csrf": csrf, "client_id": "a\x00b", "client_secret": "s"}
        )

    assert answer.status_code == 401 and "wrong secret" in answer.text
