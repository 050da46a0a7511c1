"""``validation_only=true`` answers what the same write would answer (the contract: it
"runs every check without writing"): a merge is checked merged over the stored entity,
and a relation to an entity that does not exist is the write's 404 ``not_found``, on the
single and the bulk route, over SQLite and PostgreSQL."""

from __future__ import annotations

import httpx
import pytest

_MERGE = "upsert=true&merge=true"


async def test_validation_only_refuses_a_missing_relation_target_as_the_write_does(
    api: httpx.AsyncClient,
) -> None:
    body = {"identifier": "new", "title": "New", "relations": {"owner": "nobody"}}
    single = "/v1/blueprints/service/entities?upsert=true"
    bulk = "/v1/blueprints/service/entities/bulk?upsert=true"

    checked = await api.post(f"{single}&validation_only=true", json=body)
    checked_bulk = await api.post(f"{bulk}&validation_only=true", json={"entities": [body]})
    written = await api.post(single, json=body)

    assert (written.status_code, written.json()["error"]) == (404, "not_found")
    assert (checked.status_code, checked.json()["error"]) == (404, "not_found")
    assert [(e["statusCode"], e["error"]) for e in checked_bulk.json()["errors"]] == [
        (404, "not_found")
    ]
    created = await api.post(
        f"{single}&validation_only=true&create_missing_related_entities=true", json=body
    )
    assert created.status_code == 200, created.text


@pytest.mark.parametrize("child_first", [False, True], ids=["target first", "target after"])
async def test_validation_only_answers_a_request_relating_within_itself_as_the_write(
    api: httpx.AsyncClient, child_first: bool
) -> None:
    node = {"identifier": "node", "title": "Node", "schema": {"properties": {}},
            "relations": {"parent": {"target": "node", "many": False, "required": False}}}  # fmt: skip
    assert (await api.post("/v1/blueprints", json=node)).status_code == 201
    entities = [
        {"identifier": "root", "title": "Root"},
        {"identifier": "child", "title": "Child", "relations": {"parent": "root"}},
    ][:: -1 if child_first else 1]
    bulk = "/v1/blueprints/node/entities/bulk?upsert=true&create_missing_related_entities=false"

    checked = await api.post(f"{bulk}&validation_only=true", json={"entities": entities})
    written = await api.post(bulk, json={"entities": entities})

    def refused(answer: httpx.Response) -> list[tuple[str, int, str]]:
        return [(e["identifier"], e["statusCode"], e["error"]) for e in answer.json()["errors"]]

    assert refused(checked) == refused(written), (checked.text, written.text)


_BY_SEARCH = {"combinator": "and", "rules": [{"property": "$identifier", "operator": "=", "value": "core"}]}  # fmt: skip


@pytest.mark.parametrize(
    ("blueprint", "body"),
    [
        # owner (required) is kept by the merge: checked merged over the stored entity
        pytest.param("service", {"identifier": "api", "title": "Renamed"}, id="merge"),
        # a search relation or identifier (port-api.md §7.2) is resolved before the check,
        # as the write resolves it: not refused as a value of the wrong type
        pytest.param(
            "service",
            {"identifier": "new", "title": "New", "relations": {"owner": _BY_SEARCH}},
            id="search-relation",
        ),
        pytest.param(
            "team", {"identifier": _BY_SEARCH, "title": "Renamed"}, id="search-identifier"
        ),
    ],
)
async def test_validation_only_accepts_what_the_write_accepts(
    api: httpx.AsyncClient, blueprint: str, body: dict[str, object]
) -> None:
    single = f"/v1/blueprints/{blueprint}/entities?{_MERGE}"
    bulk = f"/v1/blueprints/{blueprint}/entities/bulk?{_MERGE}"

    checked = await api.post(f"{single}&validation_only=true", json=body)
    checked_bulk = await api.post(f"{bulk}&validation_only=true", json={"entities": [body]})
    written = await api.post(single, json=body)

    assert written.status_code == 201, written.text
    assert checked.status_code == 200, checked.text
    assert checked_bulk.status_code == 200, checked_bulk.text
    assert checked_bulk.json()["errors"] == [], checked_bulk.text
    assert [e["index"] for e in checked_bulk.json()["entities"]] == [0]


async def test_validation_only_refuses_a_search_identifier_matching_nothing_as_unknown(
    api: httpx.AsyncClient,
) -> None:
    nobody = {"combinator": "and", "rules": [{"property": "$identifier", "operator": "=", "value": "nobody"}]}  # fmt: skip
    entities = [{"identifier": nobody, "title": "X"}, {"identifier": "fine", "title": "Fine"}]
    bulk = f"/v1/blueprints/team/entities/bulk?{_MERGE}"

    checked = await api.post(f"{bulk}&validation_only=true", json={"entities": entities})
    written = await api.post(bulk, json={"entities": entities})

    def answered(answer: httpx.Response) -> tuple[list[tuple[int, str, int]], list[int]]:
        body = answer.json()
        refused = [(e["index"], e["identifier"], e["statusCode"]) for e in body["errors"]]
        return refused, [e["index"] for e in body["entities"]]

    assert answered(checked) == answered(written) == ([(0, "unknown", 404)], [1])
