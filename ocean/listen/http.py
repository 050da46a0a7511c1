"""The integration's own HTTP server: health, readiness, metrics, the resync trigger and
(passed in as ``extra_routes``) the live-event routes.

``POST /resync`` (the WEBHOOK listener's trigger) needs ``Authorization: Bearer <token>``
with the token from ``OCEAN__EVENT_LISTENER__TOKEN``; it records a resync request that the
running listener picks up, as ``ocean catalog resync`` does on Ocean's catalogs (on a Port
API, which has no route that records one, the request is kept in this process for its own
listener).

``GET /ready`` answers 503 until the sail serves (``Metrics.serve``) and while any of the
``readiness`` checks reports a problem (such as the live-event queue being unreachable).
"""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable, Sequence

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Match, Mount, Route
from starlette.types import ASGIApp, Receive, Scope, Send

from ocean.monitor.metrics import Metrics
from ocean.server.auth import bearer_token
from ocean.store.base import Store

Readiness = Callable[[], Awaitable[str | None]]
"""A check ``/ready`` makes: None when fine, else what is wrong (and what to do)."""


def create_app(
    *,
    store: Store,
    identifier: str,
    metrics: Metrics,
    token: str | None,
    extra_routes: Sequence[BaseRoute] = (),
    readiness: Sequence[Readiness] = (),
) -> ASGIApp:
    """The ASGI app; everything it uses is passed in."""

    async def health(_: Request) -> Response:
        return JSONResponse({"ok": True})

    async def ready(_: Request) -> Response:
        for check in readiness:
            problem = await check()
            if problem is not None:
                body = {"ok": False, "status": metrics.status, "error": problem}
                return JSONResponse(body, status_code=503)
        ready = metrics.serving
        return JSONResponse(
            {"ok": ready, "status": metrics.status}, status_code=200 if ready else 503
        )

    async def metrics_text(request: Request) -> Response:
        body, content_type = metrics.render(request.headers.get("accept", ""))
        return Response(body, media_type=content_type)

    async def resync(request: Request) -> Response:
        if token is None:
            return JSONResponse(
                {
                    "ok": False,
                    "error": "disabled",
                    "message": "set OCEAN__EVENT_LISTENER__TOKEN to enable POST /resync",
                },
                status_code=403,
            )
        given = bearer_token(request.headers.get("authorization")) or ""
        if not hmac.compare_digest(given.encode(), token.encode()):
            return JSONResponse(
                {"ok": False, "error": "unauthorized", "message": "wrong or missing bearer token"},
                status_code=401,
            )
        requested = await store.request_resync(identifier)
        return JSONResponse({"ok": True, "requestedAt": requested}, status_code=202)

    app = Starlette(
        routes=[
            Route("/health", health),
            Route("/ready", ready),
            Route("/metrics", metrics_text),
            Route("/resync", resync, methods=["POST"]),
            *extra_routes,
        ]
    )
    direct = [route for route in app.routes if isinstance(route, DirectRoute)]
    others = [route for route in app.routes if not isinstance(route, DirectRoute)]
    return Front(app, direct, others) if direct else app


class DirectRoute(Route):
    """A route the server takes straight to its app (a plain ASGI app), past Starlette's
    middleware and router: for the live-event route, which runs thousands of times a
    second, they cost as much as its own work. Routes before it keep precedence."""


CLAIMS_KEPT = 1024
"""Paths whose verdict :class:`Front` remembers, at most (a live-event path may take any
segment: a sender must not grow the server's memory)."""


class Front:
    """``direct`` routes served straight to their apps, unless one of ``others`` matches the
    request too; everything else goes to ``app``. Whether one of ``others`` matches is
    remembered per path and method when only those decide it (plain routes and mounts, not
    hosts): the same few paths come thousands of times a second, and each check is a
    regular expression per route."""

    def __init__(
        self, app: ASGIApp, direct: Sequence[DirectRoute], others: Sequence[BaseRoute]
    ) -> None:
        self.app, self._direct, self._others = app, direct, others
        self._claims: dict[tuple[str, str, str], bool] | None = (
            {} if all(type(route) in (Route, DirectRoute, Mount) for route in others) else None
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            for route in self._direct:
                match, child = route.matches(scope)
                if match is Match.FULL and not self._claimed(scope):
                    scope.update(child)
                    return await route.app(scope, receive, send)
        await self.app(scope, receive, send)

    def _claimed(self, scope: Scope) -> bool:
        """Whether a route before the direct ones matches ``scope`` too."""
        if self._claims is None:
            return any(route.matches(scope)[0] is not Match.NONE for route in self._others)
        key = (scope["path"], scope["method"], scope.get("root_path", ""))
        claimed = self._claims.get(key)
        if claimed is None:
            claimed = any(route.matches(scope)[0] is not Match.NONE for route in self._others)
            if len(self._claims) < CLAIMS_KEPT:
                self._claims[key] = claimed
        return claimed
