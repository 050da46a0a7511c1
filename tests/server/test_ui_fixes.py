"""The web UI's fixes: a read-only sign-out, rate-limited sign-in, no session kept for
the sign-in form, and sessions capped."""

from __future__ import annotations

import httpx
import pytest

from ocean.server.login import TokenGate
from ocean.server.ui.app import create_ui
from ocean.server.ui.session import Sessions
from tests.server.test_ui_http import Served, _csrf, served, sign_in

__all__ = ["served"]


@pytest.mark.parametrize("who", ["admin", "reader"])
async def test_any_credential_signs_out(served: Served, who: str) -> None:
    csrf = await sign_in(served.client, getattr(served.credentials, who))
    answer = await served.client.post("/ui/logout", data={"csrf": csrf})
    assert answer.status_code == 303 and answer.headers["location"] == "/ui/login"
    assert (await served.client.get("/ui/")).status_code == 303  # signed out


@pytest.mark.parametrize("who", ["admin", "reader"])
async def test_sign_out_still_needs_the_csrf_token(served: Served, who: str) -> None:
    await sign_in(served.client, getattr(served.credentials, who))
    refused = await served.client.post("/ui/logout", data={"csrf": "guess"})
    assert refused.status_code == 403 and "CSRF" in refused.text
    assert (await served.client.get("/ui/")).status_code == 200


async def test_too_many_failed_sign_ins_say_when_to_retry(served: Served) -> None:
    form = await served.client.get("/ui/login")
    statuses = []
    for _ in range(11):
        answer = await served.client.post(
            "/ui/login",
            data={"csrf": _csrf(form.text), "client_id": "someone", "client_secret": "wrong"},
        )
        statuses.append(answer.status_code)
    assert statuses == [401] * 10 + [429]
    assert int(answer.headers["retry-after"]) > 0
    assert "too many failed token requests" in answer.text and 'name="csrf"' in answer.text


async def test_the_sign_in_form_keeps_no_session(served: Served) -> None:
    app = create_ui(served.store, TokenGate())
    sessions: Sessions = app.state.ui.sessions
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://ui.test") as client:
        for _ in range(50):
            client.cookies.clear()
            assert (await client.get("/ui/login")).status_code == 200
        assert len(sessions) == 0
        await sign_in(client, served.credentials.admin)
        assert len(sessions) == 1


@pytest.mark.parametrize("csrf", ["", "guess", "from-another-browser"])
async def test_the_sign_in_form_token_is_tied_to_its_cookie(served: Served, csrf: str) -> None:
    transport = served.client._transport
    async with httpx.AsyncClient(transport=transport, base_url="http://ui.test") as other:
        token = _csrf((await other.get("/ui/login")).text)
    await served.client.get("/ui/login")
    sent = token if csrf == "from-another-browser" else csrf
    admin = served.credentials.admin
    answer = await served.client.post(
        "/ui/login", data={"csrf": sent, "client_id": admin[0], "client_secret": admin[1]}
    )
    assert answer.status_code == 403


@pytest.mark.parametrize(("most", "made"), [(3, 2), (3, 3), (3, 10), (100, 1000)])
def test_sessions_are_capped_forgetting_the_least_recently_used(most: int, made: int) -> None:
    sessions = Sessions(most=most)
    first = sessions.new()
    cookie, others = sessions.cookie(first), []
    for _ in range(made - 1):
        others.append(sessions.new())
        assert sessions.of(cookie) is first  # used again: kept
    assert len(sessions) == min(most, made)
    if made > most:
        assert sessions.of(sessions.cookie(others[0])) is None
