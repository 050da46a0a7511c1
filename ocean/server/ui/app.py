"""``create_ui(store, gate)``: the web UI's Starlette app, and :class:`UiFront`, the
middleware that hands it ``/`` and ``/ui/...`` ahead of the API's token check.

Pages sign in with a catalog credential (client id and secret, exchanged as the token
route does) and keep its token in a server-side session; the API's routes are unchanged.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Receive, Scope, Send

from ocean.errors import ForbiddenError, NotFoundError, StoreError
from ocean.server.login import TokenGate
from ocean.server.ui.core import Ui, field, form_of, signed_in
from ocean.server.ui.entity import EntityPages
from ocean.server.ui.pages import BlueprintPages
from ocean.server.ui.runs import RunPages
from ocean.server.ui.session import COOKIE, csrf_holds
from ocean.store.base import Store

_STATIC = Path(__file__).parent / "static"


def create_ui(
    store: Store, gate: TokenGate, queue_of: Callable[[str], str] | None = None
) -> Starlette:
    """The UI's routes over ``store``; ``queue_of`` names an integration's live-event queue."""
    ui = Ui(store, gate, queue_of)
    login = _Login(ui)
    blueprints, entities, runs = BlueprintPages(ui), EntityPages(ui), RunPages(ui)
    routes = [
        Route("/", _home, methods=["GET"]),
        Route("/ui/login", login.form, methods=["GET"]),
        Route("/ui/login", login.submit, methods=["POST"]),
        Route("/ui/logout", signed_in(ui, login.out), methods=["POST"]),
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

    handlers = {ForbiddenError: refused, NotFoundError: missing, StoreError: invalid, 404: missing}
    app = Starlette(routes=routes, exception_handlers=handlers)
    app.router.redirect_slashes = False
    return app


async def _home(_: Request) -> Response:
    return RedirectResponse("/ui/", status_code=303)


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

    async def form(self, request: Request, failed: str | None = None) -> Response:
        """The sign-in form, in a session of its own (for the form's CSRF token)."""
        session = self.ui.sessions.of(request.cookies.get(COOKIE)) or self.ui.sessions.new()
        page = self.ui.render(
            request, "login.html", 401 if failed else 200, csrf=session.csrf, failed=failed,
            next=_local(request.query_params.get("next")), title="Sign in",
        )  # fmt: skip
        _set_cookie(page, self.ui.sessions.cookie(session), request)
        return page

    async def submit(self, request: Request) -> Response:
        session = self.ui.sessions.of(request.cookies.get(COOKIE))
        form = await form_of(request)
        if session is None or not csrf_holds(session, field(form, "csrf")):
            raise ForbiddenError("the sign-in form expired or came from elsewhere: reload it")
        client_id, secret = field(form, "client_id"), field(form, "client_secret")
        address = request.client.host if request.client else "unknown"
        token = await self.ui.gate.exchange(self.ui.store, client_id, secret, address)
        if token is None:
            return await self.form(
                request, "Unknown client id, wrong secret or revoked credential."
            )
        self.ui.sessions.end(session)  # a new session id once signed in (no fixation)
        fresh = self.ui.sessions.new()
        fresh.token, fresh.client_id = token, client_id
        answer = RedirectResponse(_local(field(form, "next")), status_code=303)
        _set_cookie(answer, self.ui.sessions.cookie(fresh), request)
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


def _set_cookie(response: Response, value: str, request: Request) -> None:
    response.set_cookie(
        COOKIE, value, httponly=True, samesite="strict", path="/",
        secure=request.url.scheme == "https",
    )  # fmt: skip
