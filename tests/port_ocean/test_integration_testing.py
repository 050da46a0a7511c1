"""port_ocean.integration_testing: the transport, the Port stand-in, the test catalog and
the harness around Ocean's resync (the sample folder's own tests are in harness_sample/)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import httpx
import pytest

from ocean.monitor.report import KindReport, ResyncReport
from ocean.sail import prepare
from ocean.store.base import Owner
from port_ocean.integration_testing import (
    IntegrationTestHarness,
    InterceptTransport,
    PortMockResponder,
)
from port_ocean.integration_testing.catalog import RELATED, TestCatalog, loosened
from port_ocean.integration_testing.harness import ResyncError, errors_of
from port_ocean.integration_testing.transport import RecordingTransport, UnmatchedRequestError

SAMPLE = Path(__file__).parent / "harness_sample"
API = "https://code.example.com/api"
OWNER = Owner(integration_type="sample", identifier="sample")


async def _get(transport: httpx.AsyncBaseTransport, url: str, **kwargs: Any) -> httpx.Response:
    async with httpx.AsyncClient(transport=transport) as client:
        return await client.request(kwargs.pop("method", "GET"), url, **kwargs)


async def test_routes_match_in_order_by_method_part_pattern_and_predicate() -> None:
    transport = InterceptTransport(strict=True)
    transport.add_route("GET", "/items", {"json": [1]}, times=1)
    transport.add_route("GET", "/items", {"status_code": 204, "body": ""})
    transport.add_route("POST", r"/items/\d+$", lambda request: {"json": {"id": request.url.path}})
    transport.add_route(None, lambda request: "x-test" in request.headers, httpx.Response(418))
    assert (await _get(transport, "https://a.test/items")).json() == [1]
    assert (await _get(transport, "https://a.test/items")).status_code == 204
    posted = await _get(transport, "https://a.test/items/7", method="POST")
    assert posted.json() == {"id": "/items/7"}
    assert (
        await _get(transport, "https://a.test/other", headers={"x-test": "1"})
    ).status_code == 418
    with pytest.raises(UnmatchedRequestError, match="No route matched: GET https://a.test/nope"):
        await _get(transport, "https://a.test/nope")
    assert [c.response.status_code for c in transport.calls_for("/items")] == [200, 204, 200]
    transport.reset()
    assert transport.calls == [] and (await _get(transport, "https://a.test/items")).json() == [1]


async def test_a_lenient_transport_answers_404_and_logs_every_call() -> None:
    transport = InterceptTransport(strict=False)
    response = await _get(transport, "https://a.test/x", method="POST", json={"a": 1})
    assert response.status_code == 404
    logged = transport.calls[0].to_dict()
    assert logged["request_body"] == {"a": 1} and logged["response_body"] == "No route matched"
    assert "[0] POST https://a.test/x → 404" in transport.print_call_log()
    assert isinstance(RecordingTransport().calls, list)


async def test_the_port_stand_in_keeps_upserts_and_deletes() -> None:
    port = PortMockResponder(mapping_config={"resources": []})
    base = "http://localhost:5555/v1"
    body = {"entities": [{"identifier": "a", "blueprint": "svc"}]}
    answer = await _get(
        port.transport, f"{base}/blueprints/svc/entities/bulk", method="POST", json=body
    )
    assert answer.json()["entities"] == [{"index": 0, "status": "SUCCESS", "identifier": "a"}]
    await _get(port.transport, f"{base}/blueprints/svc/entities/b%2Fc", method="DELETE")
    await _get(
        port.transport, f"{base}/blueprints/svc/bulk/entities/delete", method="POST",
        json={"entities": ["d"]},
    )  # fmt: skip
    assert port.upserted_entities == body["entities"]
    assert port.deleted_entities == [
        {"identifier": "b/c", "blueprint": "svc"},
        {"identifier": "d", "blueprint": "svc"},
    ]
    blueprint = (await _get(port.transport, f"{base}/blueprints/svc")).json()["blueprint"]
    assert blueprint["identifier"] == "svc"
    integration = (await _get(port.transport, f"{base}/integration/x")).json()["integration"]
    assert integration["config"] == {"resources": []}


async def test_the_test_catalog_widens_blueprints_to_what_is_written(tmp_path: Path) -> None:
    catalog = await TestCatalog.open(tmp_path / "c.db")
    assert isinstance(catalog, TestCatalog)
    try:
        declared = {"stars": {"type": "number"}, "url": {"type": "string", "format": "url"}}
        team_relation = {"target": "team", "required": True, "many": False}
        await catalog.create_blueprints([{"identifier": "team", "title": "Team"}])
        await catalog.create_blueprints(
            [loosened({"identifier": "repo", "title": "Repo", "relations": {"team": team_relation},
                       "schema": {"properties": declared, "required": ["stars"]}})]
        )  # fmt: skip
        entity = {
            "identifier": "ocean",
            "blueprint": "repo",
            "properties": {"url": "not a url", "lang": "py", "stars": None},
            "relations": {"team": ["a", "b"], "owner": "ada"},
        }
        outcomes = await catalog.upsert_entities([entity], owner=OWNER, merge=True)  # type: ignore[list-item]
        assert [o.status for o in outcomes] == ["created"]
        assert catalog.upserted == [entity]
        repo = {bp["identifier"]: bp for bp in await catalog.list_blueprints()}["repo"]
        assert repo["schema"]["properties"]["url"] == {"type": "string"}  # refused: plain
        assert repo["schema"]["properties"]["lang"] == {"type": "string"}
        assert repo["relations"]["team"]["many"] is True
        assert repo["relations"]["owner"]["target"] == RELATED
        bad = {"identifier": "has space", "blueprint": "repo"}
        outcomes = await catalog.upsert_entities([bad], owner=OWNER, merge=True)  # type: ignore[list-item]
        assert outcomes[0].status == "failed" and len(catalog.upserted) == 1
    finally:
        await catalog.close()


def test_a_report_records_no_exception_but_keeps_it() -> None:
    kind = KindReport(kind="repo", index=0)
    error = httpx.HTTPStatusError(
        "403", request=httpx.Request("GET", API), response=httpx.Response(403)
    )
    kind.fail("kind 'repo': handler raised HTTPStatusError: 403", error)
    kind.errors.append("entity 'x': refused")
    report = ResyncReport(integration="s", trigger="machine", started_at="now", kinds=[kind])
    report.errors.append("on_resync_start failed")
    document = report.to_dict()
    assert "raised" not in document["kinds"][0] and json.dumps(document)
    found = errors_of(report)
    assert found[0] is error
    assert [str(e) for e in found[1:]] == ["entity 'x': refused", "on_resync_start failed"]
    assert all(isinstance(e, ResyncError) for e in found[1:])


def test_prepare_takes_the_integration_config_from_the_overrides(tmp_path: Path) -> None:
    (tmp_path / ".port" / "resources").mkdir(parents=True)
    spec = {
        "type": "x",
        "configurations": [{"name": "apiToken", "type": "string", "required": True}],
    }
    (tmp_path / ".port" / "spec.yaml").write_text(json.dumps(spec))
    (tmp_path / ".port" / "resources" / "port-app-config.yml").write_text("resources: []")
    (tmp_path / "main.py").write_text("from ocean import Integration\nocean = Integration()\n")
    given = {"integration": {"config": {"api_token": "t"}}}
    sail = prepare(tmp_path, environ={}, overrides=given)
    assert sail.folder.integration.integration_config["api_token"] == "t"


def _harness(**kwargs: Any) -> IntegrationTestHarness:
    transport = InterceptTransport(strict=True)
    transport.add_route("GET", re.escape(f"{API}/teams?page=1"), {"json": {"teams": [{"slug": "a", "name": "A", "members": []}]}})  # fmt: skip
    transport.add_route("GET", "/teams", {"json": {"teams": []}})
    transport.add_route("GET", "/repos", {"json": {"items": [], "next": None}})
    team = {
        "kind": "team",
        "selector": {"query": "true"},
        "port": {"entity": {"mappings": {"identifier": ".slug", "blueprint": '"sampleTeam"'}}},
    }
    return IntegrationTestHarness(
        integration_path=str(SAMPLE),
        port_mapping_config={"resources": [team]},
        third_party_transport=transport,
        config_overrides={"integration": {"config": {"api_url": API, "api_token": "t"}}},
        **kwargs,
    )


async def test_every_resync_lists_what_it_wrote_unchanged_or_not() -> None:
    harness = _harness()
    await harness.start()
    try:
        first = await harness.trigger_resync()
        second = await harness.trigger_resync()
        assert first.report is not None and first.report.total("created") == 1
        assert second.report is not None and second.report.total("unchanged") == 1
        assert (
            first.upserted_entities
            == second.upserted_entities
            == [{"identifier": "a", "blueprint": "sampleTeam"}]
        )
        assert harness.port_mock.upserted_entities == second.upserted_entities
        assert harness.catalog_path is not None and harness.catalog_path.exists()
    finally:
        await harness.shutdown()
    assert harness.catalog_path is None


async def test_shutdown_gives_the_shared_client_its_transport_back() -> None:
    from port_ocean.utils.async_http import http_async_client

    before = http_async_client._transport
    harness = _harness()
    await harness.start()
    assert http_async_client._transport is not before
    await harness.shutdown()
    assert http_async_client._transport is before


async def test_discover_requests_lists_each_call(capsys: pytest.CaptureFixture[str]) -> None:
    harness = _harness()
    await harness.start()
    try:
        listed = await harness.discover_requests()
    finally:
        await harness.shutdown()
    assert f"GET {API}/teams?page=1 → 200" in listed
    assert listed.startswith("Discovered 2 unique third-party requests")
    assert "Discovered" in capsys.readouterr().out


async def test_trigger_before_start_is_an_error() -> None:
    with pytest.raises(RuntimeError, match="Call start"):
        await _harness().trigger_resync()
