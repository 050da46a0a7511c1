"""Links of the web UI for identifiers holding ``/``, ``.``/``..`` segments, ``+``, ``'``,
``\\`` or non-ASCII letters: each is one escaped path segment, routed as one, and sign-in
comes back to it with its query."""

from __future__ import annotations

import html
import re

import httpx
import pytest

from ocean.store.base import RunRecord
from tests.server.test_ui_http import Served, _csrf, served, sign_in
from tests.server.ui_catalog import OWNER

__all__ = ["served"]

ENTITIES = [
    ("team/infra", "x"),
    ("service", "docs/../svc-001"),
    ("service", "c++"),
    ("service", "a=b:c@d\\e'f"),
    ("service", "naïve/é"),
]


async def _add(served: Served) -> None:
    infra = {"identifier": "team/infra", "title": "Infra teams", "schema": {"properties": {}}}
    await served.store.create_blueprints([infra])
    written = [
        {"identifier": i, "blueprint": b, "title": f"T {i}", "properties": {"language": "go"}}
        for b, i in ENTITIES
    ]
    for entity in written:
        if entity["blueprint"] != "service":
            entity["properties"] = {}
    await served.store.upsert_entities(written, owner=OWNER, merge=False)


def _shown(text: str) -> str:
    """``text`` as the templates escape it."""
    return html.escape(text, quote=True).replace("&#x27;", "&#39;")


def _link(page: str, identifier: str) -> str:
    found = re.search(rf'<a href="(/ui/entities/[^"]+)">{re.escape(_shown(identifier))}</a>', page)
    assert found, page
    return html.unescape(found.group(1))


@pytest.mark.parametrize(("blueprint", "identifier"), ENTITIES)
async def test_entity_links_reach_the_entity(
    served: Served, blueprint: str, identifier: str
) -> None:
    await _add(served)
    await sign_in(served.client, served.credentials.admin)
    home = (await served.client.get("/ui/")).text
    table = re.search(
        rf'href="(/ui/blueprints/{re.escape(blueprint).replace("/", "%2F")}/entities)"', home
    )
    assert table, home
    page = await served.client.get(table.group(1), params={"q": identifier[:2]})
    link = _link(page.text, identifier)
    entity = await served.client.get(link)
    assert entity.status_code == 200 and f"<code>{_shown(identifier)}</code>" in entity.text


@pytest.mark.parametrize("identifier", ["team/a", "c++", "a b#c"])
async def test_integration_links_and_redirects_keep_the_identifier(
    served: Served, identifier: str
) -> None:
    run = RunRecord(identifier, "manual", "2026-01-01T00:00:00Z", None, "completed", {})
    await served.store.record_run(run)
    csrf = await sign_in(served.client, served.credentials.admin)
    index = (await served.client.get("/ui/integrations")).text
    found = re.search(rf'href="([^"]+)">{re.escape(html.escape(identifier))}</a>', index)
    assert found, index
    page = await served.client.get(html.unescape(found.group(1)))
    assert page.status_code == 200 and f"Integration {html.escape(identifier)}" in page.text
    answer = await served.client.post(f"{found.group(1)}/resync", data={"csrf": csrf})
    assert answer.headers["location"] == html.unescape(found.group(1))
    assert await served.store.resync_requested_at(identifier) is not None


@pytest.mark.parametrize(
    "target",
    [
        "/ui/entities/service/c%2B%2B",
        "/ui/entities/service/na%C3%AFve%2F%C3%A9?tab=1",
        "/ui/entities/team%2Finfra/x",
        "/ui/blueprints/service/entities?p=language&op=%3D&v=go&offset=50",
    ],
)
async def test_sign_in_comes_back_to_the_page_and_its_query(served: Served, target: str) -> None:
    await _add(served)
    answer = await served.client.get(target)
    assert answer.status_code == 303
    form = await served.client.get(answer.headers["location"])
    back = re.search(r'name="next" value="([^"]*)"', form.text)
    assert back and html.unescape(back.group(1)) == target
    admin = served.credentials.admin
    signed = await served.client.post(
        "/ui/login",
        data={"csrf": _csrf(form.text), "client_id": admin[0], "client_secret": admin[1],
              "next": html.unescape(back.group(1))},
    )  # fmt: skip
    assert signed.headers["location"] == target
    assert (await served.client.get(target)).status_code == 200


async def test_an_unescaped_slash_still_reaches_an_identifier(served: Served) -> None:
    await _add(served)
    await sign_in(served.client, served.credentials.admin)
    client: httpx.AsyncClient = served.client
    for path in ("/ui/entities/service/docs%2F..%2Fsvc-001", "/ui/entities/service/naïve/é"):
        assert (await client.get(path)).status_code == 200
