"""Search rules the catalog server must refuse (422 naming the rule and what to do) rather
than read loosely, and their well-formed neighbours that must keep working, over real
HTTP on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

import httpx
import pytest


async def _search(api: httpx.AsyncClient, *rules: Any) -> httpx.Response:
    query = {"combinator": "and", "rules": list(rules)}
    return await api.post("/v1/entities/search", json=query, params={"include": "identifier"})


def _found(answer: httpx.Response) -> list[str]:
    assert answer.status_code == 200, answer.text
    return sorted(entity["identifier"] for entity in answer.json()["entities"])


def _refused(answer: httpx.Response) -> str:
    assert answer.status_code == 422, answer.text
    assert answer.json()["ok"] is False and answer.json()["error"] == "invalid_query"
    return str(answer.json()["message"])


_OWNED_BY_CORE = {"operator": "relatedTo", "blueprint": "team", "value": "core"}


@pytest.mark.parametrize(
    "rule",
    [
        pytest.param({"property": "stars", "operator": "="}, id="equals"),
        pytest.param({"property": "stars", "operator": "!="}, id="not-equals"),
        pytest.param({"property": "url", "operator": "contains"}, id="contains"),
        pytest.param({"property": "$identifier", "operator": "in"}, id="in"),
        pytest.param({"property": "$identifier", "operator": "notIn"}, id="not-in"),
        pytest.param({"property": "stars", "operator": ">"}, id="greater"),
        pytest.param({"property": "url", "operator": "beginsWith"}, id="begins-with"),
        pytest.param({"property": "$createdAt", "operator": "between"}, id="between"),
        pytest.param({"operator": "relatedTo", "blueprint": "team"}, id="related-to"),
    ],
)
async def test_a_rule_without_the_value_its_operator_needs_is_refused(
    api: httpx.AsyncClient, rule: dict[str, Any]
) -> None:
    message = _refused(
        await _search(api, {"property": "$blueprint", "operator": "=", "value": "service"}, rule)
    )
    assert "query.rules[1]" in message  # the rule, by its place
    assert repr(rule["operator"]) in message
    assert 'add "value"' in message


@pytest.mark.parametrize(
    ("rule", "expected"),
    [
        pytest.param(
            {"property": "stars", "operator": "=", "value": None}, ["web"], id="equals-null"
        ),
        pytest.param({"property": "stars", "operator": "isEmpty"}, ["web"], id="is-empty"),
        pytest.param({"property": "url", "operator": "isNotEmpty"}, ["api"], id="is-not-empty"),
        pytest.param(
            {"property": "url", "operator": "contains", "value": "api"}, ["api"], id="contains"
        ),
    ],
)
async def test_rules_that_need_no_value_or_send_null_still_match(
    api: httpx.AsyncClient, rule: dict[str, Any], expected: list[str]
) -> None:
    blueprint = {"property": "$blueprint", "operator": "=", "value": "service"}
    assert _found(await _search(api, blueprint, rule)) == expected


@pytest.mark.parametrize(
    "required",
    [
        pytest.param("false", id="string-false"),
        pytest.param("true", id="string-true"),
        pytest.param(0, id="zero"),
        pytest.param(1, id="one"),
        pytest.param([True], id="list"),
    ],
)
async def test_related_to_with_a_required_that_is_not_a_boolean_is_refused(
    api: httpx.AsyncClient, required: Any
) -> None:
    message = _refused(await _search(api, _OWNED_BY_CORE | {"required": required}))
    assert "query.rules[0].required" in message
    assert repr(required) in message
    assert "true or false" in message


@pytest.mark.parametrize(
    ("team", "required", "expected"),
    [
        pytest.param("core", True, ["api", "web"], id="core-through-required"),
        pytest.param("core", False, [], id="core-through-optional"),
        pytest.param("ops", False, ["api"], id="ops-through-optional"),
        pytest.param("ops", True, [], id="ops-through-required"),
        pytest.param("core", None, ["api", "web"], id="core-any"),
    ],
)
async def test_related_to_with_a_boolean_required_follows_those_relations(
    api: httpx.AsyncClient, team: str, required: bool | None, expected: list[str]
) -> None:
    rule = {"operator": "relatedTo", "blueprint": "team", "value": team, "required": required}
    assert _found(await _search(api, rule)) == expected


_GROUP = {
    "combinator": "or",
    "rules": [{"property": "$identifier", "operator": "=", "value": "web"}],
}


@pytest.mark.parametrize(
    ("rule", "named"),
    [
        pytest.param(
            {"property": "$identifier", "operator": "=", "value": "api"} | _GROUP,
            "'property'",
            id="property-and-rules",
        ),
        pytest.param({"property": "stars"} | _GROUP, "'property'", id="bare-property-and-rules"),
        pytest.param(_OWNED_BY_CORE | _GROUP, "'operator'", id="related-to-and-rules"),
        pytest.param(
            {"combinator": "and", "property": "$identifier", "operator": "=", "value": "api"},
            "'combinator'",
            id="combinator-on-a-rule",
        ),
    ],
)
async def test_a_rule_that_is_also_a_group_is_refused(
    api: httpx.AsyncClient, rule: dict[str, Any], named: str
) -> None:
    nested = {"combinator": "and", "rules": [rule]}
    message = _refused(await _search(api, nested))
    assert "query.rules[0].rules[0]" in message
    assert named in message
    assert "either a property rule" in message and "or a group" in message
