"""Identifiers in paths: a blueprint identifier holding ``/`` (which no path can name,
escaped or not) is refused when created; an entity identifier holding ``+`` is reached
whether the client escapes it (``quote_plus``, as port-ocean) or sends it as RFC 3986
lets it (Go's ``url.PathEscape``, curl, browsers). Over real HTTP on SQLite and PostgreSQL."""

from __future__ import annotations

import urllib.parse

import httpx
import pytest


@pytest.mark.parametrize("identifier", ["a/b", "/lead", "trail/"])
async def test_a_blueprint_identifier_holding_a_slash_is_refused_and_nothing_is_made(
    api: httpx.AsyncClient, identifier: str
) -> None:
    blueprint = {"identifier": identifier, "title": "AB", "schema": {"properties": {}}}
    answer = await api.post("/v1/blueprints", json=blueprint)
    assert answer.status_code == 422, answer.text
    assert f"{identifier!r} holds '/'" in answer.json()["message"]
    listed = (await api.get("/v1/blueprints")).json()["blueprints"]
    assert sorted(b["identifier"] for b in listed) == ["service", "team"]


@pytest.mark.parametrize("sent", ["c++", urllib.parse.quote_plus("c++"), "c%2b+"])
async def test_an_entity_identifier_holding_a_plus_is_reached_however_escaped(
    api: httpx.AsyncClient, sent: str
) -> None:
    created = await api.post(
        "/v1/blueprints/team/entities", params={"upsert": "true"}, json={"identifier": "c++"}
    )
    assert created.status_code == 201, created.text
    path = f"/v1/blueprints/team/entities/{sent}"

    assert (await api.get(path)).json()["entity"]["identifier"] == "c++"
    patched = await api.patch(path, json={"title": "C++"})
    assert patched.status_code == 200, patched.text
    assert patched.json()["entity"]["title"] == "C++"
    assert (await api.delete(path)).json() == {"ok": True}
    assert (await api.get("/v1/blueprints/team/entities/c%2B%2B")).status_code == 404
