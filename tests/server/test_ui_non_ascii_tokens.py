"""A CSRF token or a session cookie holding a character past ASCII is a wrong one, refused
as any other (403, or the sign-in page), never a 500 with a traceback in the server's log
(``hmac.compare_digest`` refuses ``str`` past ASCII: the UI compares bytes)."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from ocean.server.app import create_app
from ocean.store.sqlite.store import SQLiteStore
from tests import loopback
from tests.server.test_ui_http import sign_in
from tests.server.ui_catalog import Credentials, seed


@pytest.fixture
async def served(tmp_path: Path) -> AsyncIterator[tuple[str, Credentials]]:
    store = await SQLiteStore.open(tmp_path / "catalog.db")
    credentials = await seed(store, tmp_path)
    async with loopback.served(create_app(store), log_level="critical") as base:
        yield base, credentials
    await store.close()


async def _status(base: str, head: bytes, body: bytes = b"") -> int:
    """The status of one raw request (its cookie's bytes sent as they are)."""
    host, port = base.removeprefix("http://").split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    length = f"Content-Length: {len(body)}\r\n".encode()
    writer.write(head + length + b"Connection: close\r\n\r\n" + body)
    await writer.drain()
    answer = await reader.read()
    writer.close()
    return int(answer.split(b" ", 2)[1])


async def test_a_non_ascii_csrf_token_or_cookie_is_refused_not_a_server_error(
    served: tuple[str, Credentials],
) -> None:
    base, credentials = served
    form = "application/x-www-form-urlencoded"
    async with httpx.AsyncClient(base_url=base) as client:
        login = await client.get("/ui/login")
        nonce = login.cookies["ocean_login"]
        sent = {"csrf": "\u00e9", "client_id": "a", "client_secret": "b"}
        assert (await client.post("/ui/login", data=sent)).status_code == 403
        csrf = await sign_in(client, credentials.admin)
        assert re.fullmatch(r"[\w-]+", csrf)
        resync = await client.post("/ui/integrations/fake-ui/resync", data={"csrf": "\u00e9"})
        assert resync.status_code == 403
    cookie = f"ocean_login={nonce}\r\n".encode()
    head = b"POST /ui/login HTTP/1.1\r\nHost: ui\r\nContent-Type: " + form.encode() + b"\r\n"
    assert await _status(base, head + b"Cookie: " + cookie, b"csrf=%C3%A9") == 403
    forged = b"GET /ui/ HTTP/1.1\r\nHost: ui\r\nCookie: ocean_session=a.\xc3\xa9\r\n"
    assert await _status(base, forged) == 303  # to the sign-in page
