"""``create_ui(store, gate)``: the web UI's Starlette app, and :class:`UiFront`, the
middleware that hands it ``/`` and ``/ui/...`` ahead of the API's token check.

Pages sign in with a catalog credential (client id and secret, exchanged as the token
route does) and keep its token in a server-side session; the API's routes are unchanged.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote, unquote_to_bytes, urlsplit

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Receive, Scope, Send

from ocean.errors import (
    CatalogUnavailableError,
    ForbiddenError,
    NotFoundError,
    RateLimitedError,
    StoreError,
)
from ocean.server.login import TokenGate
from ocean.server.responses import UNAVAILABLE_RETRY_AFTER
from ocean.server.ui.core import Ui, field, form_of, signed_in
from ocean.server.ui.entity import EntityPages
from ocean.server.ui.pages import BlueprintPages
from ocean.server.ui.runs import RunPages
from ocean.server.ui.session import COOKIE, LOGIN_COOKIE
from ocean.store.base import Store

_STATIC = Path(__file__).parent / "static"


def create_ui(
    store: Store, gate: TokenGate, queue_of: Callable[[str], str] | None = None
) -> _RawSegments:
    """The UI's routes over ``store``; ``queue_of`` names an integration's live-event queue."""
    ui = Ui(store, gate, queue_of)
    login = _Login(ui)
    blueprints, entities, runs = BlueprintPages(ui), EntityPages(ui), RunPages(ui)
    routes = [
        Route("/", _home, methods=["GET"]),
        Route("/ui/login", login.form, methods=["GET"]),
        Route("/ui/login", login.submit, methods=["POST"]),
        Route("/ui/logout", signed_in(ui, login.out, writes=False), methods=["POST"]),
        Route("/ui/", signed_in(ui, blueprints.index), methods=["GET"]),
        Route("/ui/blueprints/{bp}", signed_in(ui, blueprints.schema), methods=["GET"]),
        Route("/ui/blueprints/{bp}/entities", signed_in(ui, blueprints.table), methods=["GET"]),
        Route("/ui/entities/{bp}/{id:path}", signed_in(ui, entities.page), methods=["GET"]),
        Route("/ui/integrations", signed_in(ui, runs.index), methods=["GET"]),
        Route("/ui/integrations/{id}", signed_in(ui, runs.detail), methods=["GET"]),
        Route("/ui/integrations/{id}/resync", signed_in(ui, runs.resync), methods=["POST"]),
        Route("/ui/integrations/{id}/retry", signed_in(ui, runs.retry), methods=["POST"]),
        Mount("/ui/static", StaticFiles(directory=_STATIC), name="static"),
    ]

    async def refused(request: Request, error: Exception) -> Response:
        return ui.render(request, "error.html", 403, title="Not allowed", message=str(error))

    async def missing(request: Request, error: Exception) -> Response:
        message = str(error) if isinstance(error, NotFoundError) else "No such page."
        return ui.render(request, "error.html", 404, title="Not found", message=message)

    async def invalid(request: Request, error: Exception) -> Response:
        return ui.render(request, "error.html", 422, title="Cannot show this", message=str(error))

    async def unreachable(request: Request, error: Exception) -> Response:
        page = ui.render(
            request, "error.html", 503, title="Catalog unavailable", message=str(error)
        )
        page.headers["Retry-After"] = str(UNAVAILABLE_RETRY_AFTER)
        return page

    handlers = {
        ForbiddenError: refused, NotFoundError: missing, StoreError: invalid,
        CatalogUnavailableError: unreachable, 404: missing,
    }  # fmt: skip
    app = Starlette(routes=routes, exception_handlers=handlers)
    app.router.redirect_slashes = False
    app.state.ui = ui
    return _RawSegments(app)


async def _home(_: Request) -> Response:
    return RedirectResponse("/ui/", status_code=303)


class _RawSegments:
    """Routes match the raw path's segments: an escaped ``/`` (``%2F``) stays inside its
    segment. Each segment is matched escaped (``quote(..., safe="")``); :func:`signed_in`
    unescapes the path parameters once."""

    def __init__(self, app: Starlette) -> None:
        self.app, self.state = app, app.state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        raw = scope.get("raw_path") if scope["type"] == "http" else None
        if raw:
            path = raw.split(b"?", 1)[0].split(b"/")
            escaped = "/".join(quote(unquote_to_bytes(s), safe="") for s in path)
            scope = dict(scope, path=escaped)
        await self.app(scope, receive, send)


class UiFront:
    """Pure ASGI middleware: ``/`` and ``/ui/...`` go to the UI, the rest to the API."""

    def __init__(self, app: ASGIApp, ui: ASGIApp) -> None:
        self._app, self._ui = app, ui

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "") if scope["type"] == "http" else None
        if path is not None and (path == "/" or path.startswith("/ui/") or path == "/ui"):
            await self._ui(scope, receive, send)
        else:
            await self._app(scope, receive, send)


class _Login:
    def __init__(self, ui: Ui) -> None:
        self.ui = ui

    async def form(
        self, request: Request, failed: str | None = None, status: int = 401
    ) -> Response:
        """The sign-in form; its CSRF token is tied to a cookie nonce (no session kept)."""
        nonce = self.ui.sessions.login_nonce(request.cookies.get(LOGIN_COOKIE))
        page = self.ui.render(
            request, "login.html", status if failed else 200, failed=failed,
            csrf=self.ui.sessions.login_csrf(nonce),
            next=_local(request.query_params.get("next")), title="Sign in",
        )  # fmt: skip
        _set_cookie(page, LOGIN_COOKIE, nonce, request)
        return page

    async def submit(self, request: Request) -> Response:
        form = await form_of(request)
        if not self.ui.sessions.login_holds(request.cookies.get(LOGIN_COOKIE), field(form, "csrf")):
            raise ForbiddenError("the sign-in form expired or came from elsewhere: reload it")
        client_id, secret = field(form, "client_id"), field(form, "client_secret")
        address = request.client.host if request.client else "unknown"
        try:
            token = await self.ui.gate.exchange(self.ui.store, client_id, secret, address)
        except RateLimitedError as limited:
            page = await self.form(request, str(limited), 429)
            page.headers["Retry-After"] = str(limited.retry_after)
            return page
        if token is None:
            return await self.form(
                request, "Unknown client id, wrong secret or revoked credential."
            )
        earlier = self.ui.sessions.of(request.cookies.get(COOKIE))
        if earlier is not None:
            self.ui.sessions.end(earlier)
        fresh = self.ui.sessions.new()  # a new session id once signed in (no fixation)
        fresh.token, fresh.client_id = token, client_id
        answer = RedirectResponse(_local(field(form, "next")), status_code=303)
        _set_cookie(answer, COOKIE, self.ui.sessions.cookie(fresh), request)
        answer.delete_cookie(LOGIN_COOKIE, path="/")
        return answer

    async def out(self, request: Request, viewer: object) -> Response:
        session = self.ui.sessions.of(request.cookies.get(COOKIE))
        if session is not None:
            self.ui.sessions.end(session)
        answer = RedirectResponse("/ui/login", status_code=303)
        answer.delete_cookie(COOKIE, path="/")
        return answer


def _local(target: str | None) -> str:
    """``target`` if it is a path of the UI (no open redirect), else the UI's home."""
    parts = urlsplit(target or "")
    if parts.scheme or parts.netloc or not (target or "").startswith("/ui/"):
        return "/ui/"
    return target or "/ui/"


def _set_cookie(response: Response, name: str, value: str, request: Request) -> None:
    response.set_cookie(
        name, value, httponly=True, samesite="strict", path="/",
        secure=request.url.scheme == "https",
    )  # fmt: skip
