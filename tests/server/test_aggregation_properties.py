"""Aggregation properties as Port users meet them: counted, summed, averaged... over the
entities of their target related directly to each entity (either way), filtered by their
query, shown on every read (left out when calculated properties are excluded), searched
by, mirrored, refused when written, and refused with their blueprint, naming it, when
the catalog would not compute them. On SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.server.serving import fresh_catalog, seed, served_as_admin


def _aggregation(target: str, func: str, prop: str | None = None, **more: Any) -> dict[str, Any]:
    by = {"calculationBy": "property", "property": prop} if prop else {"calculationBy": "entities"}
    return {"title": func, "target": target, "calculationSpec": {"func": func, **by}, **more}


_OPEN = {"combinator": "and", "rules": [{"property": "status", "operator": "=", "value": "open"}]}
LIBRARY = {"identifier": "library", "title": "Library", "schema": {"properties": {}}}
TEAM = {"identifier": "team", "title": "Team", "schema": {"properties": {}}}
TEAM_AGGREGATIONS = {
    "services": _aggregation("service", "count"),
    "stars": _aggregation("service", "sum", "stars"),
}
SERVICE = {
    "identifier": "service",
    "title": "Service",
    "schema": {"properties": {"stars": {"type": "number"}}},
    "relations": {
        "team": {"target": "team", "many": False, "required": False},
        "libraries": {"target": "library", "many": True, "required": False},
    },
}
ISSUE = {
    "identifier": "issue",
    "title": "Issue",
    "schema": {"properties": {"points": {"type": "number"}, "status": {"type": "string"}}},
    "relations": {"service": {"target": "service", "many": False, "required": False}},
    "mirrorProperties": {"service_open": {"path": "service.open_issues"}},
}
SERVICE_AGGREGATIONS = {
    "open_issues": _aggregation("issue", "count", query=_OPEN),
    "total_points": _aggregation("issue", "sum", "points"),
    "mean_points": _aggregation("issue", "average", "points"),
    "min_points": _aggregation("issue", "min", "points"),
    "max_points": _aggregation("issue", "max", "points"),
    "median_points": _aggregation("issue", "median", "points"),
    "libraries_used": _aggregation("library", "count"),
}


def _issue(identifier: str, service: str, status: str, points: int | None) -> dict[str, Any]:
    properties = {"status": status} | ({"points": points} if points is not None else {})
    return {"identifier": identifier, "properties": properties, "relations": {"service": service}}


@pytest.fixture(params=["sqlite", "postgresql"])
async def api(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    """Team ``core``; services ``a`` (core, 3 stars, libraries x and y; issues: open 1 and
    4 points, closed 10), ``b`` (core, 5 stars; issues: open without points, closed 2)
    and ``c`` (nothing)."""
    async with fresh_catalog(request.param, tmp_path) as store:
        async with served_as_admin(store) as (_, client):
            entities = {
                "library": [{"identifier": "x"}, {"identifier": "y"}],
                "team": [{"identifier": "core"}],
                "service": [
                    {
                        "identifier": "a",
                        "properties": {"stars": 3},
                        "relations": {"team": "core", "libraries": ["x", "y"]},
                    },
                    {"identifier": "b", "properties": {"stars": 5}, "relations": {"team": "core"}},
                    {"identifier": "c"},
                ],
                "issue": [
                    _issue("i1", "a", "open", 1),
                    _issue("i2", "a", "open", 4),
                    _issue("i3", "a", "closed", 10),
                    _issue("i4", "b", "open", None),
                    _issue("i5", "b", "closed", 2),
                ],
            }
            await seed(client, [LIBRARY, TEAM, SERVICE, ISSUE], {})
            for blueprint, aggregations in (
                ("team", TEAM_AGGREGATIONS),
                ("service", SERVICE_AGGREGATIONS),
            ):
                patched = await client.patch(
                    f"/v1/blueprints/{blueprint}", json={"aggregationProperties": aggregations}
                )
                assert patched.status_code == 200, patched.text
            await seed(client, [], entities)
            yield client


async def _search(api: httpx.AsyncClient, *rules: dict[str, Any], **params: str) -> Any:
    answer = await api.post(
        "/v1/entities/search", json={"combinator": "and", "rules": list(rules)}, params=params
    )
    assert answer.status_code == 200, answer.text
    return answer.json()["entities"]


@pytest.mark.parametrize(
    ("name", "a", "b", "c"),
    [
        ("open_issues", 2, 1, 0),
        ("total_points", 15, 2, 0),
        ("mean_points", 5.0, 2.0, None),
        ("min_points", 1, 2, None),
        ("max_points", 10, 2, None),
        ("median_points", 4, 2, None),
        ("libraries_used", 2, 0, 0),
    ],
)
async def test_an_aggregation_takes_the_targets_related_entities_its_query_matches(
    api: httpx.AsyncClient, name: str, a: Any, b: Any, c: Any
) -> None:
    answer = await api.get("/v1/blueprints/service/entities")
    assert answer.status_code == 200, answer.text
    shown = {e["identifier"]: e["properties"][name] for e in answer.json()["entities"]}
    assert shown == {"a": a, "b": b, "c": c}


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", "/v1/blueprints/team/entities/core", None),
        ("GET", "/v1/blueprints/team/entities", None),
        ("POST", "/v1/blueprints/team/entities/search", {}),
        ("POST", "/v1/entities/search", {"combinator": "and", "rules": []}),
    ],
)
async def test_every_read_shows_aggregations_unless_calculated_properties_are_excluded(
    api: httpx.AsyncClient, method: str, path: str, body: dict[str, Any] | None
) -> None:
    for excluded, expected in (("false", {"services": 2, "stars": 8}), ("true", {})):
        answer = await api.request(
            method, path, json=body, params={"exclude_calculated_properties": excluded}
        )
        assert answer.status_code == 200, answer.text
        found = answer.json().get("entities") or [answer.json()["entity"]]
        [core] = [e for e in found if e["blueprint"] == "team"]
        assert core["properties"] == expected


_SERVICES = {"property": "$blueprint", "operator": "=", "value": "service"}


async def test_a_search_by_an_aggregation_matches_the_values_shown(api: httpx.AsyncClient) -> None:
    for rule, found in (
        ({"property": "open_issues", "operator": ">=", "value": 1}, ["a", "b"]),
        ({"property": "total_points", "operator": ">", "value": 10}, ["a"]),
        ({"property": "mean_points", "operator": "isEmpty"}, ["c"]),
    ):
        searched = await _search(api, _SERVICES, rule)
        assert [e["identifier"] for e in searched] == found


async def test_an_aggregation_follows_writes_and_can_be_mirrored(api: httpx.AsyncClient) -> None:
    written = await api.post(
        "/v1/blueprints/issue/entities?upsert=true", json=_issue("i6", "c", "open", 7)
    )
    assert written.status_code == 201, written.text
    service = (await api.get("/v1/blueprints/service/entities/c")).json()["entity"]
    assert (service["properties"]["open_issues"], service["properties"]["total_points"]) == (1, 7)
    issue = (await api.get("/v1/blueprints/issue/entities/i1")).json()["entity"]
    assert issue["properties"]["service_open"] == 2


async def test_a_write_setting_an_aggregation_is_refused_naming_it(api: httpx.AsyncClient) -> None:
    answer = await api.post(
        "/v1/blueprints/service/entities?upsert=true&merge=true",
        json={"identifier": "a", "properties": {"total_points": 1}},
    )
    assert answer.status_code == 422, answer.text
    assert "'total_points' is an aggregation property" in answer.json()["message"]


def _spec(target: str, **spec: Any) -> dict[str, Any]:
    return {"title": "T", "target": target, "calculationSpec": spec}


def _where(prop: str, operator: str) -> dict[str, Any]:
    return {"combinator": "and", "rules": [{"property": prop, "operator": operator, "value": 1}]}


@pytest.mark.parametrize(
    ("definition", "named"),
    [
        (_aggregation("issue", "avg", "points"), "func 'avg' is not supported"),
        (_spec("issue", func="sum", calculationBy="entities"), "func 'sum' needs calculationBy"),
        (_spec("issue", func="count"), "needs calculationBy 'entities'"),
        (_spec("issue", func="max", calculationBy="property"), "needs the property"),
        (_aggregation("nosuch", "count"), "'nosuch' is not a blueprint"),
        (_aggregation("service", "max", "status"), "'status' is not a number property"),
        (_aggregation("service", "count", query=_where("nosuch", "=")), "names 'nosuch'"),
        (_aggregation("service", "count", query=_where("stars", "~")), "'~' is not supported"),
        (_aggregation("service", "count", query="open"), "must be a search query"),
    ],
)
async def test_an_aggregation_the_catalog_would_not_compute_is_refused_naming_it(
    api: httpx.AsyncClient, definition: dict[str, Any], named: str
) -> None:
    blueprint = {
        "identifier": "other",
        "title": "Other",
        "schema": {"properties": {}},
        "aggregationProperties": {"agg": definition},
    }
    created = await api.post("/v1/blueprints", json=blueprint)
    assert created.status_code == 422, created.text
    assert named in created.json()["message"]
    patched = await api.patch(
        "/v1/blueprints/issue", json={"aggregationProperties": {"agg": definition}}
    )
    assert patched.status_code == 422, patched.text
    assert named in patched.json()["message"]


@pytest.mark.parametrize(
    "definition",
    [
        _spec("service", func="average", calculationBy="entities", averageOf="week"),
        _spec("service", func="average", calculationBy="property", property="stars", averageOf="month"),
        _aggregation("service", "count", pathFilter=[{"path": ["service"]}]),
        _aggregation("team", "count"),  # (related through service only)
    ],
    ids=["average-of-entities-per-week", "average-per-month", "path-filter", "indirect-target"],
)  # fmt: skip
async def test_an_aggregation_port_takes_and_the_catalog_does_not_compute_shows_null(
    api: httpx.AsyncClient, definition: dict[str, Any]
) -> None:
    """Port takes these (a folder written for it must start on Ocean's catalog): kept, and
    null on read (a warning says so when the blueprint is made)."""
    patched = await api.patch(
        "/v1/blueprints/issue", json={"aggregationProperties": {"agg": definition}}
    )
    assert patched.status_code == 200, patched.text
    (entity,) = (await api.get("/v1/blueprints/issue/entities")).json()["entities"][:1]
    assert entity["properties"]["agg"] is None


async def test_a_search_by_an_aggregation_another_blueprint_stores_a_property_of_matches(
    api: httpx.AsyncClient,
) -> None:
    """Team's aggregation ``stars`` shares its name with service's stored ``stars``: each
    blueprint's entities match on the values they show."""
    over = {"property": "stars", "operator": ">", "value": 4}
    team = {"property": "$blueprint", "operator": "=", "value": "team"}
    assert [e["identifier"] for e in await _search(api, team, over)] == ["core"]
    both = await _search(api, over)
    assert sorted((e["blueprint"], e["identifier"]) for e in both) == [
        ("service", "b"),
        ("team", "core"),
    ]
    page = await api.post(
        "/v1/blueprints/team/entities/search",
        json={"query": {"combinator": "and", "rules": [over]}},
    )
    assert [e["identifier"] for e in page.json()["entities"]] == ["core"]


@pytest.mark.parametrize(
    ("malformed", "named"),
    [
        ({"relations": "team"}, "relations must be an object"),
        ({"relations": ["abc"]}, "relations must be an object"),
        ({"schema": "open"}, "schema must be an object"),
        ({"schema": {"properties": {"points": "number"}}}, "property 'points' needs a type"),
    ],
)
async def test_a_malformed_blueprint_with_aggregations_is_refused_naming_what_is_wrong(
    api: httpx.AsyncClient, malformed: dict[str, Any], named: str
) -> None:
    """Its aggregations (over itself) are not checked against it: 422, not 500."""
    aggregations = {"points": _aggregation("other", "sum", "points")}
    body = {"identifier": "other", "title": "Other", "aggregationProperties": aggregations}
    created = await api.post("/v1/blueprints", json=body | malformed)
    assert created.status_code == 422, created.text
    assert named in created.json()["message"]
    mine = {"points_sum": _aggregation("library", "sum", "points")}
    patched = await api.patch(
        "/v1/blueprints/library", json={"aggregationProperties": mine} | malformed
    )
    assert patched.status_code == 422, patched.text
    assert named in patched.json()["message"]
