"""The web UI's pages on real data, over a real server on loopback, SQLite and PostgreSQL
alike: a team given as a string, relations of the same identifier to other blueprints,
values sorted when null, counts of a page past the last, an array-only "of" in the schema,
and a sign-in cookie that is no nonce of this server."""

from __future__ import annotations

import contextlib
import html
import re
import urllib.parse
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest

from ocean.server.app import create_app
from ocean.store.base import Owner, Store
from ocean.store.credentials import KeepsCredentials
from ocean.store.open import open_store
from tests import loopback
from tests.conftest import POSTGRES_URL
from tests.server.serving import fresh_catalog, signed_in_to_ui

TEAM = {"identifier": "team", "title": "Team", "schema": {"properties": {}}}
USER = {"identifier": "user", "title": "User", "schema": {"properties": {}}}
SERVICE = {
    "identifier": "service",
    "title": "Service",
    "schema": {
        "properties": {
            "stars": {"type": "number"},
            "tags": {"type": "array", "items": {"type": "string"}},
        }
    },
    "relations": {
        "owner": {"target": "team", "many": False, "required": False},
        "lead": {"target": "user", "many": False, "required": False},
    },
}
ENTITIES: list[Any] = [
    {"identifier": "x", "blueprint": "team", "title": "Team X"},
    {"identifier": "x", "blueprint": "user", "title": "User X"},
    {"identifier": "a", "blueprint": "service", "title": "Alpha", "team": "platform",
     "properties": {"stars": 1}, "relations": {"owner": "x", "lead": "x"}},
    {"identifier": "b", "blueprint": "service", "title": None,
     "properties": {"stars": None}, "relations": {"lead": "x"}},
    {"identifier": "c", "blueprint": "service", "title": "Gamma",
     "properties": {"stars": 2}},
    {"identifier": "d", "blueprint": "service", "title": "beta", "properties": {}},
]  # fmt: skip


@contextlib.asynccontextmanager
async def _served(catalog: KeepsCredentials) -> AsyncIterator[httpx.AsyncClient]:
    store: Store = catalog  # type: ignore[assignment]
    await store.create_blueprints([TEAM, USER, SERVICE])
    written = await store.upsert_entities(ENTITIES, owner=Owner("fake", "f", "1"), merge=False)
    assert all(w.status == "created" for w in written), written
    async with (
        loopback.served(create_app(store)) as base,
        httpx.AsyncClient(base_url=base) as client,
    ):
        await signed_in_to_ui(client, catalog)
        yield client


@pytest.fixture(params=["sqlite", "postgresql"])
async def ui(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    async with fresh_catalog(request.param, tmp_path) as catalog, _served(catalog) as client:
        yield client


def _rows(page: str) -> list[str]:
    return [
        html.unescape(urllib.parse.unquote(m))
        for m in re.findall(r'<td><a href="/ui/entities/service/([^"]+)">', page)
    ]


async def test_a_team_given_as_a_string_is_shown_whole(ui: httpx.AsyncClient) -> None:
    page = await ui.get("/ui/entities/service/a")
    assert page.status_code == 200
    assert "<dt>Team</dt><dd>platform</dd>" in page.text, re.findall(r"<dt>Team.*", page.text)


async def test_related_from_names_only_relations_to_this_blueprint(
    ui: httpx.AsyncClient,
) -> None:
    team = (await ui.get("/ui/entities/team/x")).text
    incoming = re.search(r'<ul id="incoming">(.*?)</ul>', team, re.S)
    assert incoming
    shown = re.findall(r"<code>(\w+)</code></li>", incoming.group(1))
    assert shown == ["owner"]  # "a" relates to team x as owner; its lead is user x
    user = (await ui.get("/ui/entities/user/x")).text
    incoming = re.search(r'<ul id="incoming">(.*?)</ul>', user, re.S)
    assert incoming and re.findall(r"<code>(\w+)</code></li>", incoming.group(1)) == ["lead"] * 2


@pytest.mark.parametrize(
    ("sort", "ascending"),
    [("stars", ["a", "c", "b", "d"]), ("$title", ["a", "c", "d", "b"])],
)
async def test_null_values_sort_last_as_missing_ones(
    ui: httpx.AsyncClient, sort: str, ascending: list[str]
) -> None:
    """``b`` holds ``null`` (its title, its stars), ``d`` no stars: both after the values
    ascending, on either backend."""
    page = await ui.get("/ui/blueprints/service/entities", params={"sort": sort})
    assert _rows(page.text) == ascending


@pytest.mark.parametrize(
    "params",
    [
        {"q": "a", "offset": "100"},
        {"p": "stars", "op": ">", "v": "0", "offset": "100"},
        {"offset": "100"},
    ],
)
async def test_a_page_past_the_last_does_not_count_its_offset(
    ui: httpx.AsyncClient, params: dict[str, str]
) -> None:
    page = await ui.get("/ui/blueprints/service/entities", params=params)
    assert page.status_code == 200 and _rows(page.text) == []
    status = re.search(r'<p class="status" role="status">\s*(.*?)\s*<span', page.text, re.S)
    assert status, page.text
    assert "100 entities" not in status.group(1) and "101" not in status.group(1), status.group(1)


async def test_the_schema_says_of_for_array_items_only(ui: httpx.AsyncClient) -> None:
    page = (await ui.get("/ui/blueprints/service")).text
    assert "<td>number</td>" in page and "number of" not in page
    assert "array of string" in page


@pytest.mark.parametrize("nonce", ["x.\xb2", "x." + "1" * 5000, "\xb9\xb2"])
async def test_a_sign_in_cookie_that_is_no_nonce_gets_a_fresh_form(
    tmp_path: Path, nonce: str
) -> None:
    async with fresh_catalog("sqlite", tmp_path) as catalog, _served(catalog) as client:
        client.cookies.clear()
        cookie = f"ocean_login={nonce}".encode("latin-1")
        form = await client.get("/ui/login", headers=[(b"cookie", cookie)])  # type: ignore[arg-type]
        assert form.status_code == 200, form.text
        posted = await client.post(
            "/ui/login", data={"csrf": "x", "client_id": "a", "client_secret": "b"},
            headers=[(b"cookie", cookie)],  # type: ignore[arg-type]
        )  # fmt: skip
        assert posted.status_code == 403, posted.text


@contextlib.asynccontextmanager
async def _icu_database() -> AsyncIterator[str]:
    """A PostgreSQL database whose default collation is ICU English (as many are: not "C")."""
    name = f"test_icu_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(POSTGRES_URL)
    try:
        await admin.execute(
            f'CREATE DATABASE "{name}" TEMPLATE template0 LOCALE_PROVIDER icu '
            "ICU_LOCALE 'en-US' LOCALE 'C.UTF-8'"
        )
    except asyncpg.PostgresError as refused:  # an older server or no ICU
        await admin.close()
        pytest.skip(f"no ICU database here: {refused}")
    parts = urllib.parse.urlsplit(POSTGRES_URL)
    try:
        yield urllib.parse.urlunsplit(parts._replace(path=f"/{name}"))
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


async def test_titles_sort_as_sqlite_does_on_a_database_not_collated_c(tmp_path: Path) -> None:
    """Identifiers sort by code point on both backends (``COLLATE "C"``): titles and
    property strings too, whatever the database's own collation."""
    orders = []
    async with _icu_database() as url:
        for where in (str(tmp_path / "c.db"), f"{url}?schema=s"):
            catalog = await open_store(where)
            assert isinstance(catalog, KeepsCredentials)
            try:
                async with _served(catalog) as client:
                    page = await client.get(
                        "/ui/blueprints/service/entities", params={"sort": "$title"}
                    )
                    orders.append(_rows(page.text))
            finally:
                await catalog.close()  # type: ignore[attr-defined]
    assert orders[0] == ["a", "c", "d", "b"]  # Alpha, Gamma, beta (code points), null
    assert orders[1] == orders[0]
