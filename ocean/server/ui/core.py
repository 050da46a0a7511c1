"""What every page of the web UI shares: the store, the sessions, the templates, and who
is looking (:class:`Viewer`, checked against the catalog's credentials on every request)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, quote, unquote, urlencode

from jinja2 import Environment, PackageLoader, select_autoescape
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from ocean.errors import ForbiddenError, RequestTooLargeError, StoreError
from ocean.server.bodies import read_capped
from ocean.server.login import TokenGate
from ocean.server.principal import Principal
from ocean.server.responses import UNSTORABLE_MESSAGE
from ocean.server.ui.session import COOKIE, Session, Sessions, csrf_holds
from ocean.store.base import Store

HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; "
    "form-action 'self'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


@dataclass(frozen=True)
class Viewer:
    """A signed-in browser: its session and the credential it signed in with."""

    session: Session
    principal: Principal

    @property
    def may_write(self) -> bool:
        return not self.principal.read_only

    def may_see(self, integration: str) -> bool:
        """Whether its pages of ``integration`` (runs, dead letters) are this viewer's to
        read: an integration credential reads its own only, as the API's
        ``/v1/integration/{id}...`` routes let it."""
        return self.principal.may_act_for(integration)

    def may_act_for(self, integration: str) -> bool:
        return self.may_write and self.principal.may_act_for(integration)


class Ui:
    """The web UI's state: one per served app."""

    def __init__(
        self, store: Store, gate: TokenGate, queue_of: Callable[[str], str] | None = None
    ) -> None:
        self.store, self.gate, self.sessions = store, gate, Sessions()
        self.queue_of = queue_of
        """The live-event queue URL of an integration (None: this process knows no queue)."""
        self.templates = Environment(
            loader=PackageLoader("ocean.server.ui", "templates"),
            autoescape=select_autoescape(default=True),
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self.templates.filters["segment"] = segment

    def render(
        self, request: Request, name: str, status: int = 200, **context: Any
    ) -> HTMLResponse:
        session = self.sessions.of(request.cookies.get(COOKIE))
        flash = None
        if session is not None:
            flash, session.flash = session.flash, None
        page = self.templates.get_template(name).render(
            request=request, session=session, flash=flash, **context
        )
        return HTMLResponse(page, status_code=status, headers=HEADERS)

    async def viewer(self, request: Request) -> Viewer | None:
        """Who is signed in on this request (None: nobody, or their credential no longer holds)."""
        session = self.sessions.of(request.cookies.get(COOKIE))
        if session is None or session.token is None:
            return None
        checked = await self.gate.check(self.store, f"Bearer {session.token}")
        if checked.principal is None:
            self.sessions.end(session)
            return None
        return Viewer(session, checked.principal)


_FORM_BYTES = 64 * 1024


async def form_of(request: Request) -> dict[str, list[str]]:
    """A posted ``application/x-www-form-urlencoded`` form (the UI's only kind), by field:
    read within 64 KiB (a larger one is refused 413 by its length, or as soon as its
    stream passes that, never held whole: the sign-in form takes anyone's). Read once a
    request (:func:`signed_in` reads it for its CSRF token, then the page again)."""
    if (read := request.scope.get(_FORM)) is not None:
        return dict(read)
    try:
        body = await read_capped(request, _FORM_BYTES)
    except RequestTooLargeError:
        raise HTTPException(
            413, f"a form of over {_FORM_BYTES:,} bytes is larger than the UI sends", HEADERS
        ) from None
    form = parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True)
    request.scope[_FORM] = form
    return dict(form)


_FORM = "ocean.form"
"""Where a request's form is kept once read (its scope)."""


def field(form: dict[str, list[str]], name: str) -> str:
    """The first value of a form field ("" when absent)."""
    return (form.get(name) or [""])[0]


Page = Callable[[Request, Viewer], Awaitable[Response]]


def signed_in(
    ui: Ui, handler: Page, writes: bool = True
) -> Callable[[Request], Awaitable[Response]]:
    """``handler`` for a signed-in viewer; others are sent to the sign-in page. A POST
    needs the session's CSRF token and, if it ``writes``, a credential that may write."""

    async def page(request: Request) -> Response:
        viewer = await ui.viewer(request)
        if viewer is None:
            if request.method != "GET":
                raise ForbiddenError("sign in first")
            return RedirectResponse(f"/ui/login?{urlencode({'next': _here(request)})}", 303)
        params = {k: unquote(v) for k, v in request.path_params.items()}
        request.scope["path_params"] = params
        if any("\x00" in v for v in [*params.values(), *request.query_params.values()]):
            raise StoreError(UNSTORABLE_MESSAGE)  # as the API: no store is asked
        if request.method == "POST":
            form = await form_of(request)
            if not csrf_holds(viewer.session, field(form, "csrf")):
                raise ForbiddenError("the form's CSRF token does not match this session: reload")
            if writes and not viewer.may_write:
                raise ForbiddenError(f"{viewer.principal} may only read")
        return await handler(request, viewer)

    return page


def _here(request: Request) -> str:
    """This request's path (escaped, as routed) and query: where to come back to."""
    query = request.scope.get("query_string", b"").decode("latin-1")
    return str(request.scope["path"]) + (f"?{query}" if query else "")


def segment(value: object) -> str:
    """``value`` escaped as one path segment of a link (``/`` included)."""
    return quote(str(value), safe="")
