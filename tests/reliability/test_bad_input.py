"""The bad-input corpus: every kind of wrong input a user can give Ocean gets a clear error
(it names the offending file, field or value and says what to do) and nothing is written
wrongly: the catalog is unchanged, or holds only the good items.

Tables: mapping files, spec files, blueprints, handler items, catalog-server bodies.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn

from ocean.errors import OceanError, StoreError
from ocean.job import SilentObserver
from ocean.listen.once import run_once
from ocean.sail import prepare
from ocean.server.app import create_app
from ocean.store.base import Owner, Store
from ocean.store.open import open_store
from tests.loopback import free_port

HANDLER = """
import dataclasses
from ocean import Integration

ocean = Integration()

@ocean.on_resync("thing")
async def things(kind):
    good = [{{"id": f"good-{{i}}", "name": "Good", "blob": "text"}} for i in range({good})]
    yield good[:1] + [{bad}] + good[1:]
"""
MAPPING = """
resources:
  - kind: thing
    selector: {query: "true"}
    port:
      entity:
        mappings:
          identifier: .id
          title: .name
          blueprint: '"thing"'
          properties: {blob: .blob}
"""
BLUEPRINTS = [
    {
        "identifier": "thing",
        "title": "Thing",
        "schema": {"properties": {"blob": {"type": "string"}}},
        "relations": {},
    }
]


def _folder(root: Path, main: str, mapping: str = MAPPING) -> Path:
    folder = root / "integration"
    resources = folder / ".port" / "resources"
    resources.mkdir(parents=True, exist_ok=True)
    (folder / "main.py").write_text(main)
    (folder / ".port" / "spec.yaml").write_text("type: testing\n")
    (resources / "port-app-config.yml").write_text(mapping)
    (resources / "blueprints.json").write_text(json.dumps(BLUEPRINTS))
    return folder


async def _entities(url: str) -> dict[str, Any]:
    store = await open_store(url)
    try:
        return {e["identifier"]: e async for e in store.iter_entities(None)}
    finally:
        await store.close()


# --- mapping, spec and blueprint files ----------------------------------------------------

GOOD_MAIN = HANDLER.format(good=2, bad='{"id": "other", "name": "Other"}')
MAPPING_FILES = [
    (b"", ["port-app-config.yml is empty", "resources:", "resources: []"]),
    (b"\n  \n# only a comment\n", ["port-app-config.yml is empty", "kind:"]),
    (b"resources:\n  - kind: thing\n    port: {}\n  caf\xe9\n", ["is not UTF-8", "byte 45",
     "(line 4)", "0xe9", "save the file as UTF-8"]),
    (b"\xff\xferesources", ["port-app-config.yml is not UTF-8", "byte 0", "0xff"]),
    (b"resources: [\n", ["cannot read the mapping", "port-app-config.yml"]),
    (b"- kind: thing\n", ["port-app-config.yml", "expected a mapping"]),
    (b"resources: x\n", ["port-app-config.yml", "resources"]),
    (b"resources:\n  - kind: thing\n", ["port-app-config.yml", "port"]),
]  # fmt: skip
SPEC_FILES = [
    (b"type: x\nconfigurations: 5\n", ["spec.yaml is invalid", "configurations"]),
    (
        b"type: x\nconfigurations:\n  - name: a\n    type: colour\n",
        ["spec.yaml is invalid", "one of: string, integer"],
    ),
    (b"type: caf\xe9\n", ["spec.yaml is not UTF-8", "byte 9", "(line 1)"]),
    (b"type: [\n", ["spec.yaml is invalid"]),
]
BLUEPRINT_FILES = [
    (b"{}", ["blueprints.json must be a list of blueprints"]),
    (b"[{\"title\": \"no id\"}]", ["blueprints.json must be a list", "identifier"]),
    (b"[1, 2]", ["blueprints.json must be a list of blueprints"]),
    (b"[{", ["blueprints.json is not valid"]),
    (b"[{\"identifier\": \"caf\xe9\"}]", ["blueprints.json is not UTF-8", "byte 20"]),
    (b'[{"identifier": "thing", "title": "T", "relations": "x"}]', ["relations must be an object"]),
    (b'[{"identifier": "thing", "title": "T", "schema": []}]', ["schema must be an object"]),
    (b'[{"identifier": "thing", "title": "T", "schema": {"properties": {"a": {"type": "colour"}}}}]',
     ["property 'a' needs a type"]),
    (b'[{"identifier": "thing", "relations": {"r": {"target": "nowhere"}}}]',
     ["title must be a string"]),  # (a relation to an unknown blueprint is left out, warned)
]  # fmt: skip


async def _seeded(tmp_path: Path) -> tuple[Path, str]:
    """A good integration synced once: its folder and catalog URL."""
    folder, url = _folder(tmp_path, GOOD_MAIN), f"sqlite:///{tmp_path / 'catalog.db'}"
    assert (await _sail(folder, url)).status == "completed"
    return folder, url


async def _refused(folder: Path, url: str) -> str:
    """The error a sail of ``folder`` stops with, before it writes anything."""
    with pytest.raises(OceanError) as raised:
        await _sail(folder, url)
    return str(raised.value)


@pytest.mark.parametrize(("content", "said"), MAPPING_FILES)
async def test_a_bad_mapping_file_is_named_and_nothing_is_written(
    tmp_path: Path, content: bytes, said: list[str]
) -> None:
    folder, url = await _seeded(tmp_path)
    before = await _entities(url)
    (folder / ".port" / "resources" / "port-app-config.yml").write_bytes(content)

    message = await _refused(folder, url)

    assert all(part in message for part in said), message
    assert await _entities(url) == before


@pytest.mark.parametrize(("content", "said"), SPEC_FILES)
async def test_a_bad_spec_file_is_named_and_nothing_is_written(
    tmp_path: Path, content: bytes, said: list[str]
) -> None:
    folder, url = await _seeded(tmp_path)
    before = await _entities(url)
    (folder / ".port" / "spec.yaml").write_bytes(content)

    message = await _refused(folder, url)

    assert all(part in message for part in said), message
    assert await _entities(url) == before


@pytest.mark.parametrize(("content", "said"), BLUEPRINT_FILES)
async def test_bad_blueprints_are_named_and_nothing_is_written(
    tmp_path: Path, content: bytes, said: list[str]
) -> None:
    folder, url = _folder(tmp_path, GOOD_MAIN), f"sqlite:///{tmp_path / 'catalog.db'}"
    (folder / ".port" / "resources" / "blueprints.json").write_bytes(content)

    with pytest.raises(OceanError) as raised:
        report = await _sail(folder, url)
        raise OceanError(f"it ran: {report.status} {report.errors}")  # the errors, if it ran

    assert all(part in str(raised.value) for part in said), str(raised.value)
    assert await _entities(url) == {}


async def test_a_missing_spec_is_a_warning_saying_what_is_assumed(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    folder, url = _folder(tmp_path, GOOD_MAIN), f"sqlite:///{tmp_path / 'catalog.db'}"
    (folder / ".port" / "spec.yaml").unlink()

    report = await _sail(folder, url)

    assert report.status == "completed"
    (warning,) = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert "spec.yaml not found" in warning and "without configuration fields" in warning
    assert "add it with `type:` and `configurations:`" in warning


# --- handler items ----------------------------------------------------------------------

HANDLER_ITEMS = [
    ('{"id": "bad", "name": "Bad", "blob": b"\\xff\\x00"}', "blob", "bytes", "decode"),
    ('{"id": "bad", "name": "Bad", "blob": bytearray(b"x")}', "blob", "bytearray", "decode"),
    ('{"id": "bad", "name": "Bad", "blob": {1, 2}}', "blob", "set", "into a list"),
    ('{"id": "bad", "name": "Bad", "blob": frozenset()}', "blob", "frozenset", "into a list"),
    ('{"id": "bad", "name": "Bad", "blob": complex(1, 2)}', "blob", "complex", "into text"),
    ('{"id": "bad", "name": "Bad", "blob": object()}', "blob", "object", "into text"),
    ('{"id": "bad", "name": "Bad", "x": {"deep": [1, b"y"]}}', "x.deep[1]", "bytes", "decode"),
    ('{"id": "bad", "name": "Bad", "x": {("a",): 1}}', "x[('a',)]", "tuple", "into text"),
    ('{"id": "bad", "name": "Bad", "x": [{"my key": b""}]}', "x[0]['my key']", "bytes", "decode"),
]


@pytest.mark.parametrize("good", [3, 600], ids=["page-of-4", "page-of-601"])
@pytest.mark.parametrize("own_process", [False, True], ids=["thread", "catalog-process"])
@pytest.mark.parametrize(("bad", "field", "type_name", "advice"), HANDLER_ITEMS)
async def test_a_handler_item_that_is_not_json_fails_alone_naming_its_field(
    tmp_path: Path, bad: str, field: str, type_name: str, advice: str, own_process: bool, good: int
) -> None:
    folder = _folder(tmp_path, HANDLER.format(good=good, bad=bad))
    url = f"sqlite:///{tmp_path / 'catalog.db'}"
    store = await open_store(url, own_process=own_process)
    try:
        report = await run_once(prepare(folder, environ={}, overrides={}), store, SilentObserver())
    finally:
        await store.close()

    (kind,) = report.kinds
    assert (kind.status, kind.failed, kind.created) == ("failed", 1, good)
    (error,) = kind.errors
    assert f"field {field!r}" in error and type_name in error and advice in error
    assert "item 1 (id 'bad')" in error and "JSON" in error
    assert sorted(await _entities(url)) == sorted(f"good-{i}" for i in range(good))


async def test_a_failed_item_keeps_its_entity_from_the_last_resync(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'catalog.db'}"
    folder = _folder(tmp_path, HANDLER.format(good=2, bad='{"id": "bad", "name": "Bad"}'))
    first = await _sail(folder, url)
    _folder(tmp_path, HANDLER.format(good=2, bad='{"id": "bad", "name": "Bad", "blob": b"x"}'))
    second = await _sail(folder, url)
    third = await _sail(folder, url)  # the page is not remembered as clean: reported again

    assert first.status == "completed" and second.status == third.status == "failed"
    assert "'blob'" in third.kinds[0].errors[0]
    assert sorted(await _entities(url)) == ["bad", "good-0", "good-1"]


@pytest.mark.parametrize("written", ["{}", "sqlite:///{}"], ids=["path", "url"])
async def test_a_catalog_path_that_is_a_folder_says_to_name_a_file_in_it(
    tmp_path: Path, written: str
) -> None:
    with pytest.raises(
        StoreError, match=r"is a folder: name a file in it \(such as .*catalog\.db\)"
    ):
        await open_store(written.format(tmp_path))


async def _sail(folder: Path, url: str) -> Any:
    store = await open_store(url)
    try:
        return await run_once(prepare(folder, environ={}, overrides={}), store, SilentObserver())
    finally:
        await store.close()


# --- catalog-server bodies ------------------------------------------------------------------

OWNER = Owner("testing", "tests", "1", "exporter")

BULK = "/v1/blueprints/thing/entities/bulk"
MANY = {"entities": [{"identifier": f"e{i}"} for i in range(20_000)]}
SERVER_BODIES = [
    ("POST", BULK, {"entities": "x"}, {}, 422, ["entities must be a list", "a string"]),
    ("POST", BULK, {"entities": [None]}, {}, 422, ["entities[0] must be an entity object", "null"]),
    ("POST", BULK, {"entities": ["a"]}, {}, 422, ["entities[0] must be an entity object"]),
    ("POST", BULK, {}, {}, 422, ["entities must be a list", "null"]),
    ("POST", BULK, [{"identifier": "a"}], {}, 422, ["must be a JSON object", "an array"]),
    ("POST", BULK, b"{not json", {}, 422, ["not JSON"]),
    ("POST", BULK, MANY, {}, 413, ["20,000 items", "at most 20 per call"]),
    ("POST", BULK, MANY, {"X-Ocean-Client": "1"}, 413, ["at most 1,000 per call"]),
    ("POST", "/v1/blueprints/thing/entities", [], {}, 422, ["must be a JSON object"]),
    ("POST", "/v1/blueprints/thing/entities", {"identifier": "a", "properties": []}, {}, 422,
     ["properties must be an object"]),
    ("POST", "/v1/blueprints/thing/entities", {"identifier": "a", "relations": "x"}, {}, 422,
     ["relations must be an object"]),
    ("POST", "/v1/integration", [1], {}, 422, ["must be a JSON object", "an array"]),
    ("POST", "/v1/integration", {"installationId": ["x"]}, {}, 422, ["installationId must be"]),
    ("POST", "/v1/integration", {"installationId": "x", "pad": "x" * 2_000_000}, {}, 413,
     ["at most 1,048,576 bytes"]),
    ("PATCH", "/v1/integration/installed", [1], {}, 422, ["must be a JSON object"]),
    ("POST", "/v1/blueprints/thing/bulk/entities/delete", {"entities": "abc"}, {}, 422,
     ["entities must be a list of entity identifiers"]),
    ("POST", "/v1/blueprints/thing/bulk/entities/delete", {"entities": [None]}, {}, 422,
     ["entities[0] must be an entity identifier"]),
    ("POST", "/v1/blueprints", {"identifier": ["x"], "title": "X"}, {}, 422, ["identifier must"]),
    ("POST", "/v1/blueprints", {"identifier": "b", "title": "B", "relations": "x"}, {}, 422,
     ["relations must be an object"]),
    ("PATCH", "/v1/blueprints/thing", {"schema": "x"}, {}, 422, ["schema must be an object"]),
    ("POST", "/v1/blueprints/entities/datasource-entities", {"limit": "x"}, {}, 422,
     ["limit must be a whole number"]),
    ("POST", "/v1/blueprints/entities/datasource-entities", {"from": "x"}, {}, 422,
     ["from must be [blueprint, identifier]"]),
    ("POST", "/v1/entities/search", {"combinator": "and", "rules": "x"}, {}, 422,
     ["query.rules must be a list of rules, got str 'x'"]),
    ("POST", "/v1/entities/search", {"rules": "x"}, {}, 422,
     ["query.combinator is missing", "query.rules must be a list"]),
    ("POST", "/__ingest/logs", {"logs": []}, {"Authorization": ""}, 401, ["Bearer token"]),
    ("POST", "/__ingest/logs", {"logs": ["x" * 2_000_000]}, {}, 413, ["at most 1,048,576"]),
]  # fmt: skip


@pytest.fixture
async def served(tmp_path: Path) -> AsyncIterator[tuple[str, Store, dict[str, str]]]:
    """The embedded catalog with one blueprint, entity and integration, served on loopback;
    yields its URL, the store and a valid Authorization header."""
    store = await open_store(str(tmp_path / "served.db"))
    await store.create_blueprints(BLUEPRINTS)
    await store.upsert_entities(
        [{"blueprint": "thing", "identifier": "kept", "title": "K"}], owner=OWNER, merge=False
    )
    await store.save_integration("installed", {"identifier": "installed", "config": {}})
    client_id, secret = await store.create_credentials("tests")
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(create_app(store), host="127.0.0.1", port=port, log_level="warning")
    )
    task = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.01)
    base = f"http://127.0.0.1:{port}"
    async with httpx.AsyncClient(base_url=base) as client:
        token = await client.post(
            "/v1/auth/access_token", json={"clientId": client_id, "clientSecret": secret}
        )
    yield base, store, {"Authorization": f"Bearer {token.json()['accessToken']}"}
    server.should_exit = True
    await task
    await store.close()


async def _catalog(store: Store) -> tuple[Any, ...]:
    entities = sorted([e["identifier"] async for e in store.iter_entities(None)])
    blueprints = await store.list_blueprints()
    return entities, blueprints, await store.get_integration("installed")


@pytest.mark.parametrize(("method", "path", "body", "headers", "status", "said"), SERVER_BODIES)
async def test_a_wrong_body_gets_a_json_error_naming_the_field_and_writes_nothing(
    served: tuple[str, Store, dict[str, str]],
    method: str,
    path: str,
    body: Any,
    headers: dict[str, str],
    status: int,
    said: list[str],
) -> None:
    base, store, authorization = served
    before = await _catalog(store)
    content = body if isinstance(body, bytes) else json.dumps(body).encode()
    async with httpx.AsyncClient(base_url=base, timeout=30) as client:
        answer = await client.request(
            method, path, content=content, headers=authorization | headers
        )

    assert answer.status_code == status, answer.text
    error = answer.json()
    assert error["ok"] is False and all(part in error["message"] for part in said), error
    assert await _catalog(store) == before


async def test_an_oversized_body_is_refused_by_its_length_before_it_is_read(
    served: tuple[str, Store, dict[str, str]],
) -> None:
    base, store, authorization = served
    host, port = base.removeprefix("http://").split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    head = (
        f"POST /v1/integration HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
        f"Authorization: {authorization['Authorization']}\r\n"
        f"Content-Length: {100 * 1024 * 1024}\r\n\r\n"
    )
    writer.write(head.encode() + b'{"installationId": "huge", "pad": "')  # the rest never sent
    await writer.drain()
    answer = await asyncio.wait_for(reader.read(4096), timeout=10)
    writer.close()

    assert answer.startswith(b"HTTP/1.1 413") and b"104,857,600 bytes" in answer
    assert await store.get_integration("huge") is None


async def test_a_streamed_body_is_cut_at_the_cap(
    served: tuple[str, Store, dict[str, str]],
) -> None:
    base, store, authorization = served

    async def chunks() -> AsyncIterator[bytes]:
        yield b'{"installationId": "streamed", "pad": "'
        for _ in range(64):  # 4 MiB without a Content-Length
            yield b"x" * 65536
        yield b'"}'

    async with httpx.AsyncClient(base_url=base, timeout=30) as client:
        answer = await client.post("/v1/integration", content=chunks(), headers=authorization)

    assert answer.status_code == 413 and "over 1,048,576 bytes" in answer.json()["message"]
    assert await store.get_integration("streamed") is None
