"""The integration routes over real HTTP on SQLite and PostgreSQL: a name the
catalog keys by (an integration identifier, a cursor's kind) holding NUL or longer than it
keeps is 422 naming it on both (SQLite stored it, PostgreSQL answered 500 or 422); one
integration's credential may not change the records of the integration named
``provision-enabled``; kind examples of a kind holding '/' (sent %2F-encoded) are accepted."""

from __future__ import annotations

import secrets
from urllib.parse import quote_plus

import httpx
import pytest

from tests.server.test_access import Served, served  # noqa: F401  (fixture)

_LONG = secrets.token_hex(2000)
"""4,000 characters that do not compress: past what PostgreSQL's key indexes hold."""

BAD_NAMES = [
    ("POST", "/v1/integration", {"installationId": _LONG}, "installationId"),
    ("POST", "/v1/integration", {"installationId": "a\x00b"}, "installationId"),
    ("GET", "/v1/integration/a%00b", None, "integration identifier"),
    ("PATCH", f"/v1/integration/{_LONG}/resync-state", {"status": "running"}, "identifier"),
    ("PATCH", f"/v1/integration/{_LONG}/resync-state", {"status": "completed"}, "identifier"),
    ("PUT", f"/v1/integration/{_LONG}/cursor?kind=k", {"primary": "2026"}, "identifier"),
    ("PUT", f"/v1/integration/fake/cursor?kind={_LONG}", {"primary": "2026"}, "kind"),
    ("PUT", "/v1/integration/fake/cursor?kind=k%00", {"primary": "2026"}, "kind"),
    ("PUT", "/v1/integration/fake/cursor?kind=k", {"primary": "20\x0026"}, "primary"),
]


@pytest.mark.parametrize(("method", "path", "body", "named"), BAD_NAMES)
async def test_a_name_the_catalog_cannot_key_by_is_422_naming_it_on_both_backends(
    api: httpx.AsyncClient, method: str, path: str, body: dict[str, str] | None, named: str
) -> None:
    registered = await api.post("/v1/integration", json={"installationId": "fake"})
    assert registered.status_code == 200, registered.text

    answer = await api.request(method, path, json=body)

    assert answer.status_code == 422, answer.text
    assert answer.json()["error"] == "invalid_request"
    assert named in answer.json()["message"]


_FOREIGN = [
    ("PATCH", "/v1/integration/provision-enabled", {"config": {"v": "theirs"}}),
    ("PATCH", "/v1/integration/provision-enabled/config", {"config": {"v": "theirs"}}),
    ("PATCH", "/v1/integration/provision-enabled/resync-state", {"status": "running"}),
    ("PUT", "/v1/integration/provision-enabled/cursor?kind=k", {"primary": "2026"}),
    ("GET", "/v1/integration/provision-enabled/cursor?kind=k", None),
]


async def test_another_integration_may_not_change_the_integration_named_provision_enabled(
    served: Served,  # noqa: F811
) -> None:
    owner = await served.client("owner", "integration", "provision-enabled")
    other = await served.client("other", "integration", "mine")
    async with owner, other:
        body = {"installationId": "provision-enabled", "config": {"v": "own"}}
        assert (await owner.post("/v1/integration", json=body)).status_code == 200
        assert (await owner.put(_FOREIGN[3][1], json={"primary": "own"})).status_code == 200
        answers = [await other.request(method, path, json=sent) for method, path, sent in _FOREIGN]
        listing = await other.get("/v1/integration/provision-enabled")
        cursor = await owner.get(_FOREIGN[4][1])
    assert [a.status_code for a in answers] == [403] * len(_FOREIGN), [a.text for a in answers]
    assert listing.json() == {"ok": True, "integrations": []}  # the literal route, for anyone
    assert cursor.json()["cursor"] == {"primary": "own"}


@pytest.mark.parametrize("kind", ["apps/v1/Deployment", "a b/c+d", "plain"])
async def test_kind_examples_of_a_kind_holding_a_slash_are_accepted(
    served: Served,  # noqa: F811
    kind: str,
) -> None:
    integration = await served.client("mine", "integration", "mine")
    async with integration:
        answer = await integration.post(
            f"/v1/integration/mine/kinds/{quote_plus(kind)}/examples",
            json={"examples": [{"name": "x"}]},
        )
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"ok": True}


async def test_deleting_an_integration_removes_its_record_and_cursors(
    api: httpx.AsyncClient,
) -> None:
    """``DELETE /v1/integration/{id}`` (the original's ``defaults clean --destroy``) answers
    ``{"ok": true}``; the integration may be registered afresh (no cursor of the old one
    left); a second delete is 404 JSON (it answered 405)."""
    body = {"installationId": "fake", "config": {"v": 1}}
    assert (await api.post("/v1/integration", json=body)).status_code == 200
    cursor = "/v1/integration/fake/cursor?kind=k"
    assert (await api.put(cursor, json={"primary": "2026-01-01"})).status_code == 200

    deleted = await api.delete("/v1/integration/fake")
    gone, cursor_left = await api.get("/v1/integration/fake"), await api.get(cursor)
    again = await api.post("/v1/integration", json=body)
    twice = await api.delete("/v1/integration/ghost")

    assert (deleted.status_code, deleted.json()) == (200, {"ok": True}), deleted.text
    assert (gone.status_code, gone.json()["error"]) == (404, "not_found")
    assert cursor_left.json() == {"ok": True, "cursor": None}
    assert again.status_code == 200, again.text
    assert (twice.status_code, twice.json()["error"]) == (404, "not_found"), twice.text


async def test_an_integration_credential_claims_its_workflow_node_runs_none_without_error(
    served: Served,  # noqa: F811
) -> None:
    """The original's execution manager claims workflow node runs with the integration's
    own credential every poll: answered none (it was 403, logged as an error each poll);
    claiming another integration's is still 403."""
    integration = await served.client("mine", "integration", "mine")
    claim = {"limit": 10, "visibilityTimeoutMs": 1000}
    headers = {"x-port-reserved-usage": "true"}
    async with integration:
        own = await integration.post(
            "/v1/workflows/runs/claim-pending",
            json=claim | {"installationId": "mine"},
            headers=headers,
        )
        other = await integration.post(
            "/v1/workflows/runs/claim-pending",
            json=claim | {"installationId": "theirs"},
            headers=headers,
        )
    assert (own.status_code, own.json()) == (200, {"ok": True, "nodeRuns": []}), own.text
    assert other.status_code == 403, other.text
