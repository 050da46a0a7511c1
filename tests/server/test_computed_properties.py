"""Calculation and mirror properties as Port users meet them: searched by (the result
agreeing with the values shown), mirrored from a related entity's own computed property,
typed as their blueprint says, defined with a JQ and a path that can work, and refused,
saying why, when a write sets one. On SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.server.serving import fresh_catalog, seed, served_as_admin

TEAM = {
    "identifier": "team",
    "title": "Team",
    "schema": {"properties": {"size": {"type": "number"}}},
    "calculationProperties": {
        "double_size": {"calculation": ".properties.size * 2", "type": "number"}
    },
}
SERVICE = {
    "identifier": "service",
    "title": "Service",
    "schema": {"properties": {"stars": {"type": "number"}}},
    "relations": {
        "team": {"target": "team", "many": False, "required": False},
        "teams": {"target": "team", "many": True, "required": False},
    },
    "mirrorProperties": {
        "team_size": {"path": "team.size"},
        "team_double": {"path": "team.double_size"},
        "sizes": {"path": "teams.size"},
    },
    "calculationProperties": {
        "quad": {"calculation": ".properties.team_size * 4", "type": "number"},
        "text_as_number": {"calculation": '"abc"', "type": "number"},
    },
}


@pytest.fixture(params=["sqlite", "postgresql"])
async def api(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    """Teams ``core`` (size 3) and ``edge`` (size 5); services ``a`` (team core, teams
    core and edge), ``b`` (team edge) and ``c`` (no team)."""
    async with fresh_catalog(request.param, tmp_path) as store:
        async with served_as_admin(store) as (_, client):
            entities = {
                "team": [
                    {"identifier": "core", "properties": {"size": 3}},
                    {"identifier": "edge", "properties": {"size": 5}},
                ],
                "service": [
                    {"identifier": "a", "relations": {"team": "core", "teams": ["core", "edge"]}},
                    {"identifier": "b", "relations": {"team": "edge"}},
                    {"identifier": "c"},
                ],
            }
            await seed(client, [TEAM, SERVICE], entities)
            yield client


_TRUE = {"property": "team_size", "operator": "isNotEmpty"}


async def _search(api: httpx.AsyncClient, *rules: dict[str, Any], **params: str) -> Any:
    answer = await api.post(
        "/v1/entities/search", json={"combinator": "and", "rules": list(rules)}, params=params
    )
    assert answer.status_code == 200, answer.text
    return answer.json()["entities"]


async def test_a_search_by_a_mirror_or_calculation_property_matches_the_values_shown(
    api: httpx.AsyncClient,
) -> None:
    by_mirror = await _search(api, {"property": "team_size", "operator": "=", "value": 3})
    assert [e["identifier"] for e in by_mirror] == ["a"]
    assert by_mirror[0]["properties"]["team_size"] == 3
    by_calculation = await _search(
        api,
        {"property": "$blueprint", "operator": "=", "value": "service"},
        {"property": "quad", "operator": ">", "value": 12},
    )
    assert [e["identifier"] for e in by_calculation] == ["b"]
    related = {
        "operator": "relatedTo",
        "blueprint": "team",
        "value": "edge",
    }
    for rule, found in (
        ({"property": "quad", "operator": ">", "value": 12}, ["b"]),
        (_TRUE, ["a", "b"]),
    ):
        searched = await _search(api, related, rule)
        assert [e["identifier"] for e in searched] == found
    either = await api.post(
        "/v1/blueprints/service/entities/search",
        json={
            "query": {
                "combinator": "or",
                "rules": [
                    {"property": "team_size", "operator": "isEmpty"},
                    {"property": "$identifier", "operator": "=", "value": "a"},
                ],
            }
        },
    )
    assert either.status_code == 200, either.text
    assert [e["identifier"] for e in either.json()["entities"]] == ["a", "c"]
    bare = await _search(
        api,
        {"property": "quad", "operator": "=", "value": 20},
        exclude_calculated_properties="true",
    )
    assert [(e["identifier"], e["properties"]) for e in bare] == [("b", {})]


async def test_a_mirror_of_a_related_entitys_calculation_property_has_its_value(
    api: httpx.AsyncClient,
) -> None:
    answer = await api.get("/v1/blueprints/service/entities/a")
    assert answer.json()["entity"]["properties"]["team_double"] == 6
    searched = await _search(api, {"property": "team_double", "operator": "=", "value": 10})
    assert [e["identifier"] for e in searched] == ["b"]


async def test_a_calculation_whose_value_is_not_of_its_type_is_null(
    api: httpx.AsyncClient,
) -> None:
    answer = await api.get("/v1/blueprints/service/entities/a")
    properties = answer.json()["entity"]["properties"]
    assert properties["text_as_number"] is None
    assert properties["quad"] == 12


@pytest.mark.parametrize(
    ("field", "definition", "named"),
    [
        (
            "calculationProperties",
            {"c": {"calculation": ".properties.[[", "type": "string"}},
            "'c'",
        ),
        ("calculationProperties", {"c": {"calculation": ".identifier"}}, "type"),
        ("calculationProperties", {"stars": {"calculation": "1", "type": "number"}}, "'stars'"),
        ("mirrorProperties", {"m": {"path": "nosuch.size"}}, "'nosuch'"),
        ("mirrorProperties", {"m": {"path": "team"}}, "'m'"),
        ("mirrorProperties", {"stars": {"path": "team.size"}}, "'stars'"),
    ],
)
async def test_a_computed_property_that_cannot_work_is_refused_with_its_blueprint(
    api: httpx.AsyncClient, field: str, definition: dict[str, Any], named: str
) -> None:
    blueprint = {
        "identifier": "other",
        "title": "Other",
        "schema": {"properties": {"stars": {"type": "number"}}},
        "relations": {"team": {"target": "team", "many": False, "required": False}},
        field: definition,
    }
    answer = await api.post("/v1/blueprints", json=blueprint)
    assert answer.status_code == 422, answer.text
    assert named in answer.json()["message"]
    patched = await api.patch("/v1/blueprints/service", json={field: definition})
    assert patched.status_code == 422, patched.text


async def test_a_write_setting_a_computed_property_is_refused_naming_it_computed(
    api: httpx.AsyncClient,
) -> None:
    for name, kind in (("quad", "calculation"), ("team_size", "mirror")):
        answer = await api.post(
            "/v1/blueprints/service/entities?upsert=true&merge=true",
            json={"identifier": "a", "properties": {name: 1}},
        )
        assert answer.status_code == 422, answer.text
        assert f"{kind} property" in answer.json()["message"]
