"""Port's search language against the embedded catalog."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from ocean.store.base import Owner, Store
from ocean.store.search import SearchError
from tests.store.test_model import SERVICE, TEAM

GITHUB = Owner("github", "gh-1", "1.0.0")
JIRA = Owner("jira", "jira-1", "2.0.0")
NOW = dt.datetime.now(dt.UTC)


def _svc(identifier: str, **properties: Any) -> dict[str, Any]:
    return {
        "identifier": identifier,
        "blueprint": "service",
        "title": identifier.upper(),
        "properties": {"url": f"https://{identifier}"} | properties,
    }


@pytest.fixture
async def catalog(store: Store) -> Store:
    await store.create_blueprints(
        [
            TEAM,
            {
                **SERVICE,
                "schema": {
                    **SERVICE["schema"],
                    "properties": {
                        **SERVICE["schema"]["properties"],
                        "since": {"type": "string", "format": "date-time"},
                    },
                },
            },
        ]
    )
    await store.upsert_entities(
        [
            {
                **_svc(
                    "api",
                    stars=50,
                    tier="gold",
                    tags=["py", "web"],
                    since=(NOW - dt.timedelta(days=3)).isoformat(),
                ),
                "team": ["core"],
                "relations": {"team": "core"},
            },
            {
                **_svc(
                    "web",
                    stars=5,
                    tier="silver",
                    tags=["js"],
                    since=(NOW - dt.timedelta(days=40)).isoformat(),
                ),
                "relations": {"depends": ["api"]},
            },
            {**_svc("cli", stars=None, tags=[]), "relations": {"depends": ["web"]}},
        ],
        owner=GITHUB,
        merge=True,
    )
    await store.upsert_entities(
        [{"identifier": "ops", "blueprint": "team", "title": "Ops"}], owner=JIRA, merge=True
    )
    return store


def _and(*rules: dict[str, Any]) -> dict[str, Any]:
    return {"combinator": "and", "rules": list(rules)}


CASES = [
    pytest.param(
        _and({"property": "$blueprint", "operator": "=", "value": "service"}),
        ["api", "cli", "web"],
        id="blueprint-eq",
    ),
    pytest.param(
        _and({"property": "$identifier", "operator": "in", "value": ["api", "web", "nope"]}),
        ["api", "web"],
        id="identifier-in",
    ),
    pytest.param(
        _and({"property": "$identifier", "operator": "notIn", "value": ["api", "web", "core"]}),
        ["cli", "ops"],
        id="not-in",
    ),
    pytest.param(_and({"property": "stars", "operator": ">", "value": 10}), ["api"], id="gt"),
    pytest.param(_and({"property": "stars", "operator": "<=", "value": 5}), ["web"], id="lte"),
    pytest.param(
        _and({"property": "stars", "operator": ">=", "value": False}),
        [],  # a boolean is no number: false is not 0
        id="gte-a-boolean",
    ),
    pytest.param(
        _and({"property": "stars", "operator": ">", "value": True}), [], id="gt-a-boolean"
    ),
    pytest.param(
        _and({"property": "tier", "operator": "!=", "value": "gold"}),
        ["cli", "core", "ops", "web"],
        id="ne",
    ),
    pytest.param(
        _and({"property": "$title", "operator": "beginsWith", "value": "W"}), ["web"], id="begins"
    ),
    pytest.param(
        _and({"property": "url", "operator": "endsWith", "value": "li"}), ["cli"], id="ends"
    ),
    pytest.param(
        _and({"property": "url", "operator": "contains", "value": "//ap"}), ["api"], id="contains"
    ),
    pytest.param(
        _and(
            {"property": "$blueprint", "operator": "=", "value": "service"},
            {"property": "url", "operator": "doesNotContains", "value": "api"},
        ),
        ["cli", "web"],
        id="does-not-contain",
    ),
    pytest.param(
        _and({"property": "tags", "operator": "containsAny", "value": ["js", "go"]}),
        ["web"],
        id="contains-any",
    ),
    pytest.param(
        _and(
            {"property": "stars", "operator": "isEmpty"},
            {"property": "$blueprint", "operator": "=", "value": "service"},
        ),
        ["cli"],
        id="is-empty",
    ),
    pytest.param(
        _and({"property": "tags", "operator": "isNotEmpty"}), ["api", "web"], id="is-not-empty"
    ),
    pytest.param(
        _and({"property": "since", "operator": "between", "value": {"preset": "lastWeek"}}),
        ["api"],
        id="between-preset",
    ),
    pytest.param(
        _and(
            {
                "property": "since",
                "operator": "between",
                "value": {
                    "from": (NOW - dt.timedelta(days=60)).isoformat(),
                    "to": (NOW - dt.timedelta(days=30)).isoformat(),
                },
            }
        ),
        ["web"],
        id="between-range",
    ),
    pytest.param(
        _and({"property": "$team", "operator": "in", "value": ["core"]}), ["api"], id="team"
    ),
    pytest.param(
        _and({"property": "$datasource", "operator": "contains", "value": "port-ocean/jira/"}),
        ["ops"],
        id="datasource",
    ),
    pytest.param(
        _and(
            {"property": "$createdAt", "operator": "between", "value": {"preset": "today"}},
            {"property": "$blueprint", "operator": "=", "value": "team"},
        ),
        ["core", "ops"],
        id="created-today",
    ),
    pytest.param(
        {
            "combinator": "or",
            "rules": [
                {"property": "tier", "operator": "=", "value": "gold"},
                _and(
                    {"property": "stars", "operator": "<", "value": 10},
                    {"property": "tier", "operator": "=", "value": "silver"},
                ),
            ],
        },
        ["api", "web"],
        id="nested-or",
    ),
    pytest.param(
        _and(
            {
                "operator": "relatedTo",
                "blueprint": "service",
                "value": "cli",
                "direction": "upstream",
            }
        ),
        ["api", "core", "web"],
        id="related-upstream",
    ),
    pytest.param(
        _and(
            {
                "operator": "relatedTo",
                "blueprint": "team",
                "value": "core",
                "direction": "downstream",
            }
        ),
        ["api", "cli", "web"],
        id="related-downstream",
    ),
    pytest.param(
        _and({"operator": "relatedTo", "blueprint": "service", "value": "web", "required": True}),
        [],
        id="related-required-only",
    ),
    pytest.param(
        _and(
            {
                "operator": "relatedTo",
                "blueprint": "service",
                "value": ["cli", "web"],
                "direction": "upstream",
            }
        ),
        ["api", "core", "web"],  # web is related to cli: it is not left out for being listed
        id="related-to-a-list-keeps-those-related-to-another",
    ),
    pytest.param(
        _and({"operator": "relatedTo", "blueprint": "service", "value": ["cli", "cli"]}),
        ["api", "core", "web"],  # (cli itself is no relation of cli)
        id="related-to-a-list-naming-one-twice",
    ),
    pytest.param(
        _and({"property": "$identifier", "operator": "in", "value": ["api", "a\x00b"]}),
        ["api"],
        id="identifier-in-with-a-nul",
    ),
    pytest.param(
        _and({"property": "$identifier", "operator": "=", "value": "api\x00"}),
        [],
        id="identifier-eq-with-a-nul",
    ),
    pytest.param(
        _and({"property": "$blueprint", "operator": "=", "value": "service\x00"}),
        [],
        id="blueprint-eq-with-a-nul",
    ),
    pytest.param(
        _and({"operator": "relatedTo", "blueprint": "service", "value": ["web", "x\x00"]}),
        ["api", "cli", "core"],
        id="related-to-with-a-nul",
    ),
]


@pytest.mark.parametrize(("query", "expected"), CASES)
async def test_search(catalog: Store, query: dict[str, Any], expected: list[str]) -> None:
    found = await catalog.search(query)

    assert sorted(entity["identifier"] for entity in found) == expected


async def test_include_and_exclude_project_fields(catalog: Store) -> None:
    query = _and({"property": "$identifier", "operator": "=", "value": "api"})

    (included,) = await catalog.search(query, include=["identifier", "properties.stars"])
    (excluded,) = await catalog.search(
        query, exclude=["properties", "relations", "createdAt", "updatedAt"]
    )

    assert included == {"identifier": "api", "properties": {"stars": 50}}
    assert excluded == {
        "identifier": "api",
        "blueprint": "service",
        "title": "API",
        "icon": None,
        "team": ["core"],
    }


@pytest.mark.parametrize(
    ("query", "message"),
    [
        pytest.param(
            _and({"property": "stars", "operator": "like", "value": 1}),
            "query.rules[0].operator 'like' is not supported",
            id="operator",
        ),
        pytest.param(
            _and({"property": "colour", "operator": "=", "value": 1}),
            "query.rules[0].property 'colour' is neither",
            id="property",
        ),
        pytest.param(
            {"combinator": "xor", "rules": []}, "combinator must be 'and' or 'or'", id="combinator"
        ),
        pytest.param(
            _and({"property": "since", "operator": "between", "value": {"preset": "someday"}}),
            "preset 'someday' is not a preset",
            id="preset",
        ),
        pytest.param(
            _and({"property": "stars", "operator": ["="], "value": 1}),
            "query.rules[0].operator ['='] is not supported",
            id="operator-list",
        ),
        pytest.param(
            _and({"property": "since", "operator": "between", "value": {"preset": ["today"]}}),
            "preset ['today'] is not a preset",
            id="preset-list",
        ),
        pytest.param(
            _and({"property": "since", "operator": "=", "value": {"preset": "today"}}),
            "query.rules[0].value {'preset': 'today'} is a date range: operator '=' compares "
            "with one value (a date as ISO-8601); for a range use 'between'",
            id="preset-with-equals",
        ),
        pytest.param(
            _and(
                {
                    "property": "$createdAt",
                    "operator": ">",
                    "value": {"from": "2024-01-01", "to": "2024-02-01"},
                }
            ),
            "operator '>' compares with one value",
            id="range-with-greater",
        ),
        pytest.param({"rules": []}, "query.combinator is missing", id="shape"),
        pytest.param(
            {"combinator": "and", "rules": "x"},
            "query.rules must be a list of rules, got str",
            id="rules",
        ),
        pytest.param(
            [1], "query must be an object with 'combinator' and 'rules'", id="not-an-object"
        ),
    ],
)
async def test_bad_queries_name_the_offending_part(
    catalog: Store, query: dict[str, Any], message: str
) -> None:
    with pytest.raises(SearchError) as raised:
        await catalog.search(query)

    assert message in str(raised.value)
