"""``port_ocean.tests.helpers.smoke_test``: the fake integration's names from
``SMOKE_TEST_SUFFIX``, a ``PortClient`` for it, and the cleanup after a smoke run, over
Ocean's Port API client (a Port API played by ``httpx.MockTransport``)."""

from __future__ import annotations

import functools
import json
from typing import Any

import httpx
import pydantic.v1
import pytest

from ocean.store.port.http import PortHTTP
from port_ocean.tests.helpers import smoke_test
from port_ocean.tests.helpers.smoke_test import (
    SmokeTestDetails,
    cleanup_smoke_test,
    get_port_client_for_fake_integration,
    get_smoke_test_details,
)


def test_the_names_are_the_original_s_and_take_the_suffix(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SMOKE_TEST_SUFFIX", raising=False)
    plain = get_smoke_test_details()
    monkeypatch.setenv("SMOKE_TEST_SUFFIX", "ci-7")
    suffixed = get_smoke_test_details()

    assert isinstance(plain, pydantic.v1.BaseModel)
    assert plain.dict() == {
        "integration_identifier": "smoke-test-integration",
        "blueprint_department": "fake-department",
        "blueprint_person": "fake-person",
        "integration_type": "smoke-test",
        "integration_version": "0.1.4-dev",
    }
    assert suffixed == SmokeTestDetails(
        integration_identifier="smoke-test-integration-ci-7",
        blueprint_department="fake-department-ci-7",
        blueprint_person="fake-person-ci-7",
        integration_type="smoke-test",
        integration_version="0.1.4-dev",
    )


class FakePort:
    """A Port API that knows the department blueprint (deleted by a migration that runs
    once before it completes) and the integration, not the person blueprint."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str, str]] = []
        self.polls = 0

    def __call__(self, request: httpx.Request) -> httpx.Response:
        method, path = request.method, request.url.path
        self.calls.append((method, path, request.url.query.decode()))
        answer: tuple[int, dict[str, Any]] = (404, {"ok": False, "error": "not_found"})
        if path == "/v1/auth/access_token":
            assert json.loads(request.content) == {"clientId": "id", "clientSecret": "secret"}
            answer = (200, {"accessToken": "t", "expiresIn": 3600})
        elif (method, path) == ("DELETE", "/v1/blueprints/fake-department-s1/all-entities"):
            answer = (200, {"ok": True, "migrationId": "m1"})
        elif path == "/v1/migrations/m1":
            self.polls += 1
            answer = (200, {"migration": {"status": "RUNNING" if self.polls < 2 else "COMPLETED"}})
        elif path == "/v1/integration/smoke-test-integration-s1":
            record = {"identifier": "smoke-test-integration-s1", "resyncState": {"status": "x"}}
            answer = (200, {"ok": True, "integration": record})
        return httpx.Response(answer[0], json=answer[1])


@pytest.fixture
def port(monkeypatch: pytest.MonkeyPatch) -> FakePort:
    fake = FakePort()
    monkeypatch.setattr(
        smoke_test, "PortHTTP", functools.partial(PortHTTP, transport=httpx.MockTransport(fake))
    )
    monkeypatch.setattr(smoke_test, "MIGRATION_POLL_SECONDS", 0)
    for name, value in {
        "SMOKE_TEST_SUFFIX": "s1",
        "PORT_CLIENT_ID": "id",
        "PORT_CLIENT_SECRET": "secret",
        "PORT_BASE_URL": "https://port.example",
    }.items():
        monkeypatch.setenv(name, value)
    return fake


async def test_cleanup_deletes_the_blueprints_with_their_entities_then_the_integration(
    port: FakePort,
) -> None:
    await cleanup_smoke_test()

    assert [call for call in port.calls if call[1] != "/v1/auth/access_token"] == [
        ("DELETE", "/v1/blueprints/fake-department-s1/all-entities", "delete_blueprint=true"),
        ("GET", "/v1/migrations/m1", ""),
        ("GET", "/v1/migrations/m1", ""),  # waited out while it ran
        ("DELETE", "/v1/blueprints/fake-person-s1/all-entities", "delete_blueprint=true"),
        ("DELETE", "/v1/integration/smoke-test-integration-s1", ""),  # the 404 above skipped
    ]


async def test_the_client_reads_the_fake_integration(port: FakePort) -> None:
    client = get_port_client_for_fake_integration()

    record = await client.get_current_integration()

    assert record["identifier"] == get_smoke_test_details().integration_identifier
    assert record["resyncState"] == {"status": "x"}


async def test_without_credentials_an_assertion_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PORT_CLIENT_ID", raising=False)
    monkeypatch.delenv("PORT_CLIENT_SECRET", raising=False)

    with pytest.raises(AssertionError, match="Missing port credentials"):
        await cleanup_smoke_test()
