"""The server's front: a direct route (the live-event route) takes what no route before it
claims, every time the same path comes again, and a host route is asked each time."""

from __future__ import annotations

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import BaseRoute, Host, Route
from starlette.types import Receive, Scope, Send

from ocean.listen.http import DirectRoute, Front


class _Direct:
    """A plain ASGI app, as the live-event route's receiver is."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await PlainTextResponse("direct")(scope, receive, send)


async def _own(request: Request) -> Response:
    return PlainTextResponse("own")


async def _answers(others: list[BaseRoute], requests: list[tuple[str, str, str]]) -> list[str]:
    direct = DirectRoute("/integration/{path:path}", _Direct(), methods=["POST"])
    front = Front(Starlette(routes=[*others, direct]), [direct], others)
    transport = httpx.ASGITransport(app=front)
    async with httpx.AsyncClient(transport=transport) as client:
        return [
            (await client.request(method, f"http://{host}{path}")).text
            for method, host, path in requests
        ]


async def test_a_path_an_earlier_route_claims_is_never_taken_by_the_direct_route() -> None:
    others: list[BaseRoute] = [Route("/integration/echo", _own, methods=["GET", "POST"])]
    requests = [("POST", "a", "/integration/echo"), ("POST", "a", "/integration/push")] * 3
    assert await _answers(others, requests) == ["own", "direct"] * 3


async def test_a_host_route_decides_by_host_each_time() -> None:
    others: list[BaseRoute] = [Host("hooks.example", Starlette(routes=[Route("/{p:path}", _own, methods=["POST"])]))]  # fmt: skip
    requests = [
        ("POST", "hooks.example", "/integration/push"),
        ("POST", "other.example", "/integration/push"),
    ] * 2
    assert await _answers(others, requests) == ["own", "direct"] * 2
