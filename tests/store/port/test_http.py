"""The Port API client's HTTP: the token request retried and shared, answers parsed whole,
and the original's number of retries."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from ocean.store.base import Owner
from ocean.store.port.http import PortAPIError, PortHTTP, PortUnavailableError
from tests.store.port.fake_port import FakePort, client

TOKEN = "POST /auth/access_token"
BULK = "POST /blueprints/service/entities/bulk"
OWNER = Owner("github", "gh-1", "1.2.3")


def _entities(count: int) -> list[Any]:
    return [{"identifier": f"svc-{i}", "blueprint": "service"} for i in range(count)]


@pytest.mark.parametrize(
    "fault",
    [
        pytest.param({"failures": [(503, {})]}, id="503"),
        pytest.param({"failures": [(429, {"Retry-After": "0"})]}, id="429"),
        pytest.param({"dropped": 2}, id="connect-timeouts"),
        pytest.param({"cut": 1}, id="a-cut-answer"),
    ],
)
async def test_the_token_request_is_retried_as_other_idempotent_calls(
    fault: dict[str, Any],
) -> None:
    port = FakePort()
    port.failures[TOKEN] = list(fault.get("failures", []))
    port.dropped[TOKEN], port.cut[TOKEN] = fault.get("dropped", 0), fault.get("cut", 0)
    store = client(port)

    await store.list_blueprints()

    assert ("GET", "/blueprints") in [call[:2] for call in port.calls]


async def test_calls_waiting_for_a_token_fetch_that_fails_share_its_error() -> None:
    """Ten calls at once, the token route answering 503 each time: one fetch of three
    sends, not one per waiting call (each waited for the last to fail, then tried again)."""
    port = FakePort()
    port.latency = 0.01
    port.failures[TOKEN] = [(503, {})] * 30
    store = client(port, attempts=3)

    results = await asyncio.gather(
        *(store.list_blueprints() for _ in range(10)), return_exceptions=True
    )

    assert all(isinstance(result, PortUnavailableError) for result in results)
    assert [call[:2] for call in port.calls].count(("POST", "/auth/access_token")) == 3


@pytest.mark.parametrize(
    ("fault", "unavailable"),
    [
        pytest.param({"failures": [(503, {})] * 3}, True, id="503-each-time"),
        pytest.param({"dropped": 3}, True, id="timeouts-each-time"),
        pytest.param({"failures": [(401, {})]}, False, id="credentials-refused"),
    ],
)
async def test_a_token_port_never_gives_fails_writes_naming_the_token_request(
    fault: dict[str, Any], unavailable: bool
) -> None:
    port = FakePort()
    port.failures[TOKEN] = list(fault.get("failures", []))
    port.dropped[TOKEN] = fault.get("dropped", 0)
    store = client(port, attempts=3)

    with pytest.raises(PortAPIError, match="POST /auth/access_token") as raised:
        await store.upsert_entities(_entities(2), owner=OWNER, merge=True)

    assert isinstance(raised.value, PortUnavailableError) is unavailable
    assert unavailable or "OCEAN__PORT__CLIENT_ID" in str(raised.value)


async def test_calls_refused_together_fetch_one_new_token() -> None:
    port = FakePort()
    port.latency = 0.01
    store = client(port)
    await store.list_blueprints()  # token t1
    port.expire_token = True  # Port no longer takes t1: every call in flight gets 401

    outcomes = await store.upsert_entities(_entities(400), owner=OWNER, merge=True)

    assert all(o.ok for o in outcomes) and port.tokens_issued == 2


@pytest.mark.parametrize(
    ("idempotent", "error"),
    [
        pytest.param(True, None, id="an-idempotent-call-is-sent-again"),
        pytest.param(False, "PATCH /blueprints/service failed with 200", id="else-an-api-error"),
    ],
)
async def test_an_answer_cut_short_is_not_raised_as_a_bare_decode_error(
    idempotent: bool, error: str | None
) -> None:
    port = FakePort()
    port.blueprints["service"] = {"identifier": "service"}
    port.cut["PATCH /blueprints/service"] = port.cut[BULK] = 1
    store = client(port)

    if idempotent:
        outcomes = await store.upsert_entities(_entities(3), owner=OWNER, merge=True)
        assert all(o.ok for o in outcomes)
        assert len([c for c in port.calls if c[1].endswith("/bulk")]) == 2
        return
    with pytest.raises(PortAPIError, match=error) as raised:
        await store.update_blueprint("service", {"title": "Services"})
    assert "cut short" in str(raised.value)


async def test_a_rate_limit_without_retry_after_is_waited_out_ten_times_as_the_original() -> None:
    port = FakePort()
    port.failures[BULK] = [(429, {})] * 10
    store = client(port)

    outcomes = await store.upsert_entities(_entities(1), owner=OWNER, merge=True)

    assert outcomes[0].ok and len([c for c in port.calls if c[1].endswith("/bulk")]) == 11


def _ingesting(answer: httpx.Response, seen: list[tuple[str, str | None]]) -> PortHTTP:
    """A Port whose ingest URL answers ``answer``; each request's path and token noted."""

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append((request.url.path, request.headers.get("authorization")))
        if request.url.path.endswith("/auth/access_token"):
            token = f"t{sum(path.endswith('access_token') for path, _ in seen)}"
            return httpx.Response(200, json={"accessToken": token, "expiresIn": 3600})
        return answer

    return PortHTTP("https://port.test", "id", "secret", user_agent="port-ocean/test",
                    transport=httpx.MockTransport(handle), max_in_flight=1)  # fmt: skip


async def test_an_ingest_takes_any_2xx_with_the_apis_token() -> None:
    seen: list[tuple[str, str | None]] = []
    http = _ingesting(httpx.Response(202, text="accepted"), seen)

    await http.ingest("POST", "https://ingest.test/logs", {"logs": []})

    assert seen[-1] == ("/logs", "Bearer t1")


async def test_a_refused_ingest_fails_without_a_new_token_each_time() -> None:
    """A 401 from the ingest URL is its own refusal: replacing the API's token for it would
    fetch one per metrics call or log batch, and be refused again."""
    seen: list[tuple[str, str | None]] = []
    http = _ingesting(httpx.Response(401, text="no"), seen)

    for _ in range(3):
        with pytest.raises(PortAPIError, match="401"):
            await http.ingest("POST", "https://ingest.test/syncMetrics", {})

    assert [path for path, _ in seen].count("/v1/auth/access_token") == 1


async def test_an_ingest_waits_for_none_of_the_calls_slots() -> None:
    seen: list[tuple[str, str | None]] = []
    http = _ingesting(httpx.Response(200, json={"ok": True}), seen)
    await http.ingest("POST", "https://ingest.test/heartbeat", {"eventId": "e"})  # a token
    async with http._in_flight:  # every slot of the calls taken (max_in_flight=1)
        async with asyncio.timeout(5):
            await http.ingest("POST", "https://ingest.test/heartbeat", {"eventId": "e"})
