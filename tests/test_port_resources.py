"""The first setup in a Port API (:mod:`ocean.port_resources`), against Ocean's own
catalog server over loopback (SQLite and PostgreSQL)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from ocean.port_resources import SetsUpResources, set_up
from ocean.store.base import Owner
from ocean.store.open import open_store
from ocean.store.port.blueprints import bare
from tests.server.serving import fresh_catalog, served_as_admin
from tests.store.port.test_blueprints import SERVICE, TEAM


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
async def test_blueprints_a_stopped_setup_made_bare_get_their_relations_and_computed_properties(
    backend: str, tmp_path: Path
) -> None:
    """A start stopped after making the blueprints bare (relations, ownership and
    computed properties come after) is completed by the next, before it is marked done."""
    async with fresh_catalog(backend, tmp_path) as catalog:
        client_id, secret = await catalog.create_credentials("integration")
        async with served_as_admin(catalog) as (base, admin):
            for blueprint in (SERVICE, TEAM):
                assert (await admin.post("/v1/blueprints", json=bare(blueprint))).status_code == 201
            assert (await admin.post("/v1/integration", json={"installationId": "x"})).is_success
            port = await open_store(base, credentials=(client_id, secret))
            assert isinstance(port, SetsUpResources)
            try:
                created = await set_up(port, "x", {"config": {"resources": []}}, [SERVICE, TEAM],
                                       {"resources": []}, enabled=True)  # fmt: skip
                stored = {bp["identifier"]: bp for bp in await port.list_blueprints()}
                record = await port.get_integration("x")
            finally:
                await port.close()  # type: ignore[attr-defined]

    assert created == []
    for wanted in (SERVICE, TEAM):
        got = stored[str(wanted["identifier"])]
        assert {key: got.get(key) for key in wanted} == wanted
    assert record is not None and record["arePortResourcesInitialized"] is True


async def test_actions_and_pages_without_an_identifier_are_posted_as_the_originals() -> None:
    """The original posts them as they are (Port makes a page's identifier up, refuses
    such an action: logged); the setup does not fail on them."""

    from ocean.port_resources import create_extras
    from ocean.resource_files import ExtraResources

    posted: list[tuple[str, dict[str, Any]]] = []

    class Port:
        async def create_resource(self, path: str, body: dict[str, Any]) -> bool:
            posted.append((path, body))
            return True

    extras = ExtraResources(actions=[{"title": "A"}], pages=[{"title": "P"}])
    await create_extras(Port(), extras)  # type: ignore[arg-type]

    assert posted == [("/actions", {"title": "A"}), ("/pages", {"title": "P"})]


def _failing_once(app: Any, method: str, path: str, status: int = 502) -> Any:
    """``app`` behind a gateway that answers the first ``method path`` with ``status``,
    without passing it on (a load balancer while the replica behind it restarts: 502;
    a rate limit: 429)."""
    failed: list[bool] = []

    async def gateway(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and (scope["method"], scope["path"]) == (method, path):
            if not failed:
                failed.append(True)
                await send({"type": "http.response.start", "status": status, "headers": []})
                await send({"type": "http.response.body", "body": b"not now"})
                return
        await app(scope, receive, send)

    return gateway


def _action(identifier: str) -> dict[str, Any]:
    return {
        "identifier": identifier,
        "title": identifier,
        "trigger": {"type": "self-service", "operation": "DAY-2", "blueprintIdentifier": "team",
                    "userInputs": {"properties": {}, "required": []}},
        "invocationMethod": {"type": "WEBHOOK", "url": "https://example.com/hook"},
    }  # fmt: skip


async def test_an_action_the_catalog_left_unanswered_is_created_by_the_next_start(
    tmp_path: Path,
) -> None:
    """An action whose creation got no answer (a 502 from the gateway) is no refusal to
    log and pass over: the setup is not marked done, and the next start creates it."""
    from ocean.actions.open import actions_of
    from ocean.errors import StoreError
    from ocean.resource_files import ExtraResources
    from ocean.server.app import create_app
    from tests import loopback

    extras = ExtraResources(actions=[_action("first"), _action("second")])
    mapping: dict[str, Any] = {"resources": []}
    async with fresh_catalog("sqlite", tmp_path) as catalog:
        client_id, secret = await catalog.create_credentials("admin")
        gateway = _failing_once(create_app(catalog), "POST", "/v1/actions")
        async with loopback.served(gateway) as base:
            port = await open_store(base, credentials=(client_id, secret))
            assert isinstance(port, SetsUpResources)
            try:
                starts: list[str] = []
                for _ in range(2):  # two starts, each reading the record as it is
                    record = await port.register_integration(
                        Owner("it", "x", "1"), changelog_destination=None, config=mapping
                    )
                    try:
                        await set_up(port, "x", record, [SERVICE, TEAM], mapping, enabled=True,
                                     extras=extras)  # fmt: skip
                        starts.append("completed")
                    except StoreError as error:
                        starts.append(
                            "unanswered" if "did not answer" in str(error) else str(error)
                        )
                actions = await actions_of(catalog).list_actions()
                record = await port.get_integration("x")
            finally:
                await port.close()  # type: ignore[attr-defined]

    assert starts == ["unanswered", "completed"]
    assert sorted(action["identifier"] for action in actions) == ["first", "second"]
    assert record is not None and record["arePortResourcesInitialized"] is True


async def test_a_relation_patch_left_unanswered_is_made_by_the_next_start_not_passed_over(
    tmp_path: Path,
) -> None:
    """Completing a blueprint a stopped setup made bare: a 429 (or no answer) is no
    refusal to log and leave, the blueprint without its relations for good once the setup
    is marked done; the start fails, and the next completes it."""
    from ocean.errors import StoreError
    from ocean.server.app import create_app
    from tests import loopback

    mapping: dict[str, Any] = {"resources": []}
    async with fresh_catalog("sqlite", tmp_path) as catalog:
        client_id, secret = await catalog.create_credentials("admin")
        gateway = _failing_once(create_app(catalog), "PATCH", "/v1/blueprints/service", 429)
        async with loopback.served(gateway) as base:
            port = await open_store(base, credentials=(client_id, secret))
            assert isinstance(port, SetsUpResources)
            try:
                await port.create_blueprints([bare(SERVICE), bare(TEAM)])  # a stopped setup's
                starts: list[str] = []
                for _ in range(2):
                    record = await port.register_integration(
                        Owner("it", "x", "1"), changelog_destination=None, config=mapping
                    )
                    try:
                        await set_up(port, "x", record, [SERVICE, TEAM], mapping, enabled=True)
                        starts.append("completed")
                    except StoreError as error:
                        starts.append("429" if "429" in str(error) else str(error))
                stored = {bp["identifier"]: bp for bp in await port.list_blueprints()}
            finally:
                await port.close()  # type: ignore[attr-defined]

    assert starts == ["429", "completed"]
    assert stored["service"].get("relations") == SERVICE["relations"]
