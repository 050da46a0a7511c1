"""``POST /v1/blueprints/{bp}/bulk/entities/delete`` reports only what it deleted: an
unknown blueprint is 404, identifiers that do not exist are listed as not found (and not
audited as deleted), and without ``delete_dependents`` a call taking an entity something
left standing relates to deletes nothing (422, naming them), over real HTTP on SQLite and
PostgreSQL."""

from __future__ import annotations

import httpx
import pytest


async def _identifiers(api: httpx.AsyncClient, blueprint: str) -> list[str]:
    answer = await api.get(f"/v1/blueprints/{blueprint}/entities")
    assert answer.status_code == 200, answer.text
    return sorted(entity["identifier"] for entity in answer.json()["entities"])


async def _audited_deletes(api: httpx.AsyncClient) -> list[tuple[str, str]]:
    answer = await api.get("/v1/audit-log", params={"action": "DELETE"})
    assert answer.status_code == 200, answer.text
    return sorted(
        (a["context"]["blueprint"], a["context"]["entity"]) for a in answer.json()["audits"]
    )


@pytest.mark.parametrize(
    ("blueprint", "sent", "deleted", "not_found"),
    [
        pytest.param("service", ["web", "ghost"], ["web"], ["ghost"], id="one-missing"),
        pytest.param("service", ["ghost", "phantom"], [], ["ghost", "phantom"], id="all-missing"),
        pytest.param("team", ["web"], [], ["web"], id="another-blueprint-s"),
        pytest.param("service", ["web"], ["web"], [], id="all-there"),
    ],
)
async def test_identifiers_that_do_not_exist_are_not_reported_as_deleted(
    api: httpx.AsyncClient,
    blueprint: str,
    sent: list[str],
    deleted: list[str],
    not_found: list[str],
) -> None:
    answer = await api.post(
        f"/v1/blueprints/{blueprint}/bulk/entities/delete", json={"entities": sent}
    )
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"ok": True, "deletedEntities": deleted, "notFound": not_found}
    assert await _audited_deletes(api) == [(blueprint, identifier) for identifier in deleted]
    left = ["api"] if deleted else ["api", "web"]
    assert await _identifiers(api, "service") == left
    assert await _identifiers(api, "team") == ["core", "ops"]


@pytest.mark.parametrize("dependents", ["true", "false"])
async def test_an_unknown_blueprint_is_404_naming_it_and_deletes_nothing(
    api: httpx.AsyncClient, dependents: str
) -> None:
    answer = await api.post(
        "/v1/blueprints/servce/bulk/entities/delete",
        json={"entities": ["web", "api"]},
        params={"delete_dependents": dependents},
    )
    assert answer.status_code == 404, answer.text
    assert answer.json()["error"] == "not_found"
    assert "'servce'" in answer.json()["message"]
    assert await _identifiers(api, "service") == ["api", "web"]
    assert await _audited_deletes(api) == []


@pytest.mark.parametrize(
    ("blueprint", "delete_blueprint", "status", "left"),
    [
        pytest.param("team", "false", "FAILED", ["core", "ops"], id="related-to"),
        pytest.param("service", "true", "COMPLETED", [], id="unrelated-with-blueprint"),
        pytest.param("service", "false", "COMPLETED", [], id="unrelated"),
    ],
)
async def test_deleting_all_entities_fails_the_migration_naming_those_others_relate_to(
    api: httpx.AsyncClient, blueprint: str, delete_blueprint: str, status: str, left: list[str]
) -> None:
    answer = await api.delete(
        f"/v1/blueprints/{blueprint}/all-entities", params={"delete_blueprint": delete_blueprint}
    )
    assert answer.status_code == 200, answer.text
    migration = (await api.get(f"/v1/migrations/{answer.json()['migrationId']}")).json()
    kept = (await api.get(f"/v1/blueprints/{blueprint}")).status_code

    assert migration["migration"]["status"] == status
    assert kept == (200 if left or delete_blueprint == "false" else 404)
    if left:
        assert await _identifiers(api, blueprint) == left
        reason = migration["migration"]["failureReason"]
        for named in ("'core'", "'ops'", "service/api", "service/web", "delete_dependents=true"):
            assert named in reason, reason
    else:
        assert "failureReason" not in migration["migration"]
        assert (await api.get(f"/v1/blueprints/{blueprint}/entities-count")).json().get(
            "count", 0
        ) == 0


async def test_deleting_a_blueprint_another_relates_to_with_its_entities_is_refused_first(
    api: httpx.AsyncClient,
) -> None:
    answer = await api.delete(
        "/v1/blueprints/team/all-entities", params={"delete_blueprint": "true"}
    )

    assert answer.status_code == 409, answer.text
    assert "service.owner" in answer.json()["message"]
    assert await _identifiers(api, "team") == ["core", "ops"]  # nothing was deleted
    assert await _identifiers(api, "service") == ["api", "web"]


@pytest.mark.parametrize("params", [{"delete_dependents": "false"}, {}], ids=["false", "absent"])
async def test_without_dependents_a_call_taking_an_entity_something_relates_to_deletes_nothing(
    api: httpx.AsyncClient, params: dict[str, str]
) -> None:
    free = await api.post(
        "/v1/blueprints/team/entities", params={"upsert": "true"}, json={"identifier": "free"}
    )
    assert free.status_code == 201, free.text

    answer = await api.post(
        "/v1/blueprints/team/bulk/entities/delete",
        json={"entities": ["free", "core", "ghost"]},
        params=params,
    )

    assert answer.status_code == 422, answer.text
    refused = answer.json()
    assert (refused["ok"], refused["error"]) == (False, "has_dependents")
    for named in ("nothing was deleted", "'core'", "service/api", "service/web", "dependents"):
        assert named in refused["message"], refused["message"]
    assert "'free'" not in refused["message"]
    assert await _identifiers(api, "team") == ["core", "free", "ops"]
    assert await _audited_deletes(api) == []


async def test_without_dependents_entities_relating_only_to_each_other_go_together(
    api: httpx.AsyncClient,
) -> None:
    node = {
        "identifier": "node",
        "title": "Node",
        "schema": {"properties": {}},
        "relations": {"parent": {"target": "node", "many": False, "required": False}},
    }
    assert (await api.post("/v1/blueprints", json=node)).status_code == 201
    tree = [
        {"identifier": "root"},
        {"identifier": "leaf", "relations": {"parent": "root"}},
        {"identifier": "other", "relations": {"parent": "leaf"}},
    ]
    written = await api.post(
        "/v1/blueprints/node/entities/bulk", params={"upsert": "true"}, json={"entities": tree}
    )
    assert written.status_code == 200, written.text
    url, params = "/v1/blueprints/node/bulk/entities/delete", {"delete_dependents": "false"}

    refused = await api.post(url, json={"entities": ["root", "leaf"]}, params=params)
    assert refused.status_code == 422, refused.text
    assert "'leaf' (related to by node/other)" in refused.json()["message"]
    assert await _identifiers(api, "node") == ["leaf", "other", "root"]

    deleted = await api.post(url, json={"entities": ["root", "leaf", "other"]}, params=params)
    assert deleted.status_code == 200, deleted.text
    assert sorted(deleted.json()["deletedEntities"]) == ["leaf", "other", "root"]
    assert await _identifiers(api, "node") == []
