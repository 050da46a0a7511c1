"""``ocean.port_client`` when the catalog is a Port API: a fake Port (httpx.MockTransport)
answers as Port does, and Ocean's own catalog server answers over loopback."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from ocean.listen.once import bind_writes, start
from ocean.mapping import to_document
from ocean.sail import Sail, prepare
from ocean.server.app import create_app
from ocean.store.port.store import PortAPIStore
from ocean.store.sqlite.store import SQLiteStore
from port_ocean.clients.port.types import RequestOptions, UserAgentType
from port_ocean.core.models import Entity
from tests.loopback import served
from tests.port_ocean.folders import folder_of

IDENTIFIER = "my-original-style-integration"
INTEGRATION = {"identifier": IDENTIFIER, "_orgId": "org-1", "config": {"resources": []}}
FLAGS = ["AWS_V3_LIVE_EVENTS_ENABLED"]


class FakePort:
    """Port's token, organization and integration routes; ``refuse``: answer those 403."""

    def __init__(self, integrations: dict[str, dict[str, Any]], refuse: bool = False) -> None:
        self.integrations, self.refuse = integrations, refuse
        self.calls: list[str] = []

    def handle(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path.removeprefix("/v1")
        self.calls.append(f"{request.method} {path}")
        if path == "/auth/access_token":
            token = {"accessToken": "t", "expiresIn": 3600, "tokenType": "Bearer"}
            return httpx.Response(200, json={"ok": True} | token)
        found = self.integrations.get(path.removeprefix("/integration/"))
        if self.refuse:
            return httpx.Response(403, json={"ok": False, "error": "forbidden", "message": "no"})
        if path == "/organization":
            organization = {"id": "org-1", "name": "Org", "featureFlags": FLAGS}
            return httpx.Response(200, json={"ok": True, "organization": organization})
        if found is not None:
            return httpx.Response(200, json={"ok": True, "integration": found})
        return httpx.Response(404, json={"ok": False, "error": "not_found", "message": path})


@pytest.fixture
async def over_port(tmp_path: Path) -> AsyncIterator[tuple[Any, FakePort]]:
    """The original-style folder bound to a fake Port (no start: nothing is installed);
    the test sets what the fake knows."""
    port = FakePort({IDENTIFIER: INTEGRATION})
    sail = prepare(folder_of(tmp_path), environ={}, overrides={})
    store = PortAPIStore.connect(
        "https://port.test", "id", "secret", transport=httpx.MockTransport(port.handle)
    )
    bind_writes(sail, store)
    yield sail.folder.integration, port
    await store.close()


async def test_over_port_the_integration_and_the_feature_flags_are_port_s(
    over_port: tuple[Any, FakePort],
) -> None:
    ocean, port = over_port
    client = ocean.port_client

    record = await client.get_current_integration()
    flags = [await client.get_organization_feature_flags() for _ in range(3)]
    org_id = await client.get_org_id()

    assert record == INTEGRATION
    assert flags == [FLAGS] * 3 and org_id == "org-1"
    assert port.calls.count("GET /organization") == 1  # kept, as the original keeps them


@pytest.mark.parametrize(
    ("known", "refuse", "status"),
    [({}, False, 404), ({IDENTIFIER: INTEGRATION}, True, 403)],
    ids=["not-installed", "refused"],
)
async def test_over_port_a_failed_call_raises_or_answers_empty_as_told(
    over_port: tuple[Any, FakePort], known: dict[str, Any], refuse: bool, status: int
) -> None:
    ocean, port = over_port
    port.integrations, port.refuse = known, refuse
    client = ocean.port_client

    quiet = await client.get_current_integration(should_raise=False, should_log=False)
    with pytest.raises(Exception, match=str(status)):
        await client.get_current_integration()

    assert quiet == {}
    if refuse:
        assert await client.get_organization_feature_flags(should_raise=False) == []


async def test_through_ocean_s_catalog_server_the_calls_answer_as_embedded(
    tmp_path: Path,
) -> None:
    catalog = await SQLiteStore.open(tmp_path / "served.db")
    sail: Sail = prepare(folder_of(tmp_path), environ={}, overrides={})
    write = RequestOptions(
        merge=True,
        create_missing_related_entities=True,
        delete_dependent_entities=False,
        validation_only=False,
    )
    async with served(create_app(catalog)) as base:
        store = PortAPIStore.connect(base, *await catalog.create_credentials("tests"))
        await start(sail, store)
        client = sail.folder.integration.port_client  # type: ignore[attr-defined]
        record = await client.get_current_integration()
        flags = await client.get_organization_feature_flags()
        written = await client.upsert_entity(Entity(identifier="NEW", blueprint="project"), write)
        owned = await client.search_entities(UserAgentType.exporter)
        await store.close()
    await catalog.close()

    assert (record["_orgId"], record["installationAppType"]) == ("ocean", "original-style")
    assert record["config"] == to_document(sail.folder.mapping) and flags == []
    assert written.dict(exclude_unset=True) == {
        "identifier": "NEW",
        "blueprint": "project",
        "relations": {},
    }
    assert [(e.blueprint, e.identifier) for e in owned] == [("project", "NEW")]
