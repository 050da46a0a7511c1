"""The catalog server resolves search identifiers and search relations (port-api.md §7.2)
in the entities it is sent, as Port does."""

from __future__ import annotations

from typing import Any

import httpx
import pytest


@pytest.mark.parametrize(
    ("identifier", "expected"),
    [
        ({"combinator": "and", "rules": [{"property": "$title", "operator": "=", "value": "Core"}]},
         {"index": 0, "identifier": "core"}),
        ({"combinator": "and", "rules": [{"property": "$title", "operator": "=", "value": "No"}]},
         {"index": 0, "identifier": "unknown", "statusCode": 404, "error": "not_found"}),
    ],
    ids=["matches one", "matches none"],
)  # fmt: skip
async def test_the_server_writes_the_entity_a_search_identifier_finds(
    api: httpx.AsyncClient, identifier: dict[str, Any], expected: dict[str, Any]
) -> None:
    body = {"entities": [{"identifier": identifier, "properties": {}}, {"identifier": "new"}]}

    answer = await api.post("/v1/blueprints/team/entities/bulk?upsert=true&merge=true", json=body)

    found = [*answer.json()["entities"], *answer.json()["errors"]]
    assert [item | expected == item for item in found if item["index"] == 0] == [True]
    assert {item["identifier"] for item in answer.json()["entities"]} >= {"new"}
    teams = await api.post("/v1/entities/search", json={"combinator": "and", "rules": [
        {"property": "$blueprint", "operator": "=", "value": "team"}]})  # fmt: skip
    assert sorted(e["identifier"] for e in teams.json()["entities"]) == ["core", "new", "ops"]


async def test_the_server_relates_an_entity_to_what_a_search_relation_finds(
    api: httpx.AsyncClient,
) -> None:
    helpers = {"combinator": "or", "rules": [
        {"property": "$title", "operator": "=", "value": "Core"},
        {"property": "$title", "operator": "=", "value": "Ops"}]}  # fmt: skip
    entity = {"identifier": "db", "relations": {"owner": "core", "helpers": helpers}}

    answer = await api.post("/v1/blueprints/service/entities?upsert=true", json=entity)

    assert answer.status_code in (200, 201), answer.text
    stored = await api.get("/v1/blueprints/service/entities/db")
    assert sorted(stored.json()["entity"]["relations"]["helpers"]) == ["core", "ops"]


async def test_a_search_value_past_64_bits_is_searched_not_a_server_error(
    api: httpx.AsyncClient,
) -> None:
    """A rule's integer past 64 bits (the server reads it exactly) matches nothing here; the
    entity is reported as Port reports one whose search identifier matches none, and the
    rest of the batch is written."""
    big = 2**64 * 10
    identifier = {"combinator": "and", "rules": [
        {"property": "stars", "operator": "=", "value": big}]}  # fmt: skip
    helpers = {"combinator": "and", "rules": [
        {"property": "$identifier", "operator": "=", "value": big}]}  # fmt: skip
    body = {"entities": [
        {"identifier": identifier, "properties": {}},
        {"identifier": "db", "relations": {"owner": "core", "helpers": helpers}}]}  # fmt: skip

    answer = await api.post(
        "/v1/blueprints/service/entities/bulk?upsert=true&merge=true", json=body
    )

    assert answer.status_code in (200, 207), answer.text
    assert [e["identifier"] for e in answer.json()["errors"]] == ["unknown"]
    assert [e["identifier"] for e in answer.json()["entities"]] == ["db"]
    stored = await api.get("/v1/blueprints/service/entities/db")
    assert stored.json()["entity"]["relations"]["helpers"] == []
