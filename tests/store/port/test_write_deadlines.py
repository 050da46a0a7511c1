"""A write Ocean's client gave up waiting for, held on the way (a proxy) and delivered
after the client's newer write of the same entity, is refused by Ocean's server rather
than writing its older data over the newer (real server and client over loopback)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ocean.server.app import create_app
from ocean.store.base import Owner
from ocean.store.port.deadline import DEADLINE_HEADER
from ocean.store.port.http import PortHTTP
from ocean.store.port.store import PortAPIStore
from tests import loopback
from tests.server.serving import fresh_catalog, seed, served_as_admin

OWNER = Owner("svc", "svc")
SERVICE = {"identifier": "service", "title": "Service", "schema": {"properties": {}}}
HOLD = 2.0
"""Seconds the proxy holds the first write (the client waits 1 s for an answer)."""


class _HoldingProxy:
    """Passes calls on, every header with them, but holds the first bulk write for
    :data:`HOLD` seconds; ``delivered`` is the held write's answer once passed on."""

    def __init__(self, upstream: httpx.AsyncClient) -> None:
        self.upstream, self.held = upstream, False
        self.delivered: asyncio.Future[int] = asyncio.get_running_loop().create_future()

    async def forward(self, request: Request) -> Response:
        content, hold = await request.body(), "/bulk" in request.url.path and not self.held
        if hold:
            self.held = True
            await asyncio.sleep(HOLD)
        skipped = ("host", "content-length")
        headers = {k: v for k, v in request.headers.items() if k not in skipped}
        answer = await self.upstream.request(
            request.method, request.url.path, headers=headers,
            params=request.query_params, content=content,
        )  # fmt: skip
        if hold:
            self.delivered.set_result(answer.status_code)
        kept = ("content-type", "x-ocean-limits", "x-ocean-now")
        return Response(answer.content, answer.status_code,
                        headers={k: v for k, v in answer.headers.items() if k in kept})  # fmt: skip

    def app(self) -> Starlette:
        methods = ["GET", "POST", "PUT", "PATCH", "DELETE"]
        return Starlette(routes=[Route("/{path:path}", self.forward, methods=methods)])


@asynccontextmanager
async def _client_behind(
    tmp_path: Path, proxy_type: type[_HoldingProxy]
) -> AsyncIterator[tuple[PortHTTP, _HoldingProxy, Any]]:
    """Ocean's client (1 s timeout) reaching Ocean's server through a ``proxy_type``;
    the catalog behind them."""
    async with fresh_catalog("sqlite", tmp_path) as catalog:
        client_id, secret = await catalog.create_credentials("svc")
        await catalog.create_blueprints([SERVICE])  # type: ignore[attr-defined]
        async with (
            loopback.served(create_app(catalog)) as base,
            httpx.AsyncClient(base_url=base) as upstream,
        ):
            proxy = proxy_type(upstream)
            async with loopback.served(proxy.app()) as proxied:
                http = PortHTTP(proxied, client_id, secret, user_agent=OWNER.datasource,
                                timeout=1.0, base_delay=0.05)  # fmt: skip
                try:
                    yield http, proxy, catalog
                finally:
                    await http.close()


async def _old_then_new(
    http: PortHTTP, proxy: _HoldingProxy, catalog: Any
) -> tuple[int, str, float]:
    """Entity ``a`` written "old" (held, so sent again), then "new": the held write's
    answer once delivered, the title stored then, and the seconds both writes took."""
    store = PortAPIStore(http, OWNER)
    started = time.monotonic()
    old = {"identifier": "a", "blueprint": "service", "title": "old"}
    await store.upsert_entities([old], owner=OWNER, merge=True)  # sent twice
    new = {"identifier": "a", "blueprint": "service", "title": "new"}
    await store.upsert_entities([new], owner=OWNER, merge=True)
    took = time.monotonic() - started
    status = await asyncio.wait_for(proxy.delivered, timeout=30)
    stored = await catalog.get_entities("service", ["a"])
    return status, stored["a"]["title"], took


async def test_a_write_delivered_after_its_sender_gave_up_does_not_overwrite_a_newer_one(
    tmp_path: Path,
) -> None:
    async with _client_behind(tmp_path, _HoldingProxy) as (http, proxy, catalog):
        status, title, took = await _old_then_new(http, proxy, catalog)

    assert took < HOLD  # (the held one is still held)
    assert status == 503
    assert title == "new"


@pytest.mark.parametrize(
    ("method", "deadline", "written"),
    [
        ("POST", "-1", False),  # long passed
        ("POST", "soon", True),  # not a time: no deadline
        ("POST", "inf", True),
        ("POST", None, True),  # Port's clients (the original's) send none
        ("GET", "-1", True),  # a read writes nothing: answered
    ],
)
async def test_the_server_refuses_only_writes_whose_deadline_passed(
    tmp_path: Path, method: str, deadline: str | None, written: bool
) -> None:
    async with fresh_catalog("sqlite", tmp_path) as catalog:
        async with served_as_admin(catalog) as (_base, admin):
            await seed(admin, [SERVICE], {})
            headers = {DEADLINE_HEADER: deadline} if deadline is not None else {}
            if method == "GET":
                answer = await admin.get("/v1/blueprints/service", headers=headers)
            else:
                answer = await admin.post("/v1/blueprints/service/entities?upsert=true",
                                          json={"identifier": "a"}, headers=headers)  # fmt: skip

    assert (answer.status_code < 300) == written, answer.text
    if not written:
        assert answer.json()["error"] == "deadline_passed"
        assert "nothing was written" in answer.json()["message"]


class _RetryingTokenProxy(_HoldingProxy):
    """As :class:`_HoldingProxy`, but the first token request is answered 503, asking the
    client to wait :data:`TOKEN_WAIT` seconds before it sends it again."""

    def __init__(self, upstream: httpx.AsyncClient) -> None:
        super().__init__(upstream)
        self.token_refused = False

    async def forward(self, request: Request) -> Response:
        if request.url.path.endswith("/auth/access_token") and not self.token_refused:
            self.token_refused = True
            return Response(status_code=503, headers={"Retry-After": str(TOKEN_WAIT)})
        return await super().forward(request)


TOKEN_WAIT = 3
"""Seconds the client waits before sending its first token request again (more than the
held write is held beyond its deadline)."""


async def test_a_token_fetched_on_a_second_try_does_not_push_the_write_deadlines_back(
    tmp_path: Path,
) -> None:
    """The server's clock is measured from the send that it answered, not from the first
    try: a token fetched after a wait (a retried 503, a wait for a free slot) would have
    every deadline fall that much later, and a held write pass as if in time."""
    async with _client_behind(tmp_path, _RetryingTokenProxy) as (http, proxy, catalog):
        await http.limits()  # the token, on its second try
        assert isinstance(proxy, _RetryingTokenProxy) and proxy.token_refused
        status, title, _ = await _old_then_new(http, proxy, catalog)

    assert status == 503
    assert title == "new"
