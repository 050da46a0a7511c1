"""The original's smoke-test helpers: who the fake integration of a smoke run is
(:func:`get_smoke_test_details`, its names suffixed by ``SMOKE_TEST_SUFFIX``), a
``PortClient`` for it on the Port API, and :func:`cleanup_smoke_test`, which deletes its
blueprints (their entities with them) and the integration after the run. The Port API is
the one ``PORT_BASE_URL`` names (Port's by default), reached with ``PORT_CLIENT_ID`` and
``PORT_CLIENT_SECRET`` through Ocean's own client (:mod:`ocean.store.port`)."""

from __future__ import annotations

import asyncio
import logging
import os

from pydantic.v1 import BaseModel

from ocean.mapping import PortAppConfig
from ocean.sail import PORT_API
from ocean.store.base import Owner
from ocean.store.port.http import PortAPIError, PortHTTP
from ocean.store.port.store import PortAPIStore
from port_ocean._unsupported import missing
from port_ocean.clients.port.client import PortClient

_log = logging.getLogger(__name__)
_UNFINISHED = frozenset({"PENDING", "INITIALIZING", "RUNNING"})
"""A migration's states while Port still deletes (the original waits them out)."""
MIGRATION_POLL_SECONDS = 5.0


class SmokeTestDetails(BaseModel):
    """The fake integration a smoke run installs, and the blueprints it writes."""

    integration_identifier: str
    blueprint_department: str
    blueprint_person: str
    integration_type: str
    integration_version: str


def get_smoke_test_details() -> SmokeTestDetails:
    """The smoke run's names: the original's, each followed by ``-{SMOKE_TEST_SUFFIX}``
    when that is set (so that concurrent runs do not meet)."""
    suffix = os.environ.get("SMOKE_TEST_SUFFIX")

    def named(base: str) -> str:
        return base if suffix is None else f"{base}-{suffix}"

    return SmokeTestDetails(
        integration_identifier=named("smoke-test-integration"),
        blueprint_department=named("fake-department"),
        blueprint_person=named("fake-person"),
        integration_type="smoke-test",
        integration_version="0.1.4-dev",
    )


def _owner(details: SmokeTestDetails) -> Owner:
    return Owner(
        details.integration_type, details.integration_identifier, details.integration_version
    )


def _port_http(details: SmokeTestDetails) -> PortHTTP:
    """Ocean's Port API client for the fake integration (an assertion fails, as the
    original's, without credentials)."""
    client_id = os.environ.get("PORT_CLIENT_ID")
    client_secret = os.environ.get("PORT_CLIENT_SECRET")
    assert client_id and client_secret, "Missing port credentials"
    owner = _owner(details)
    return PortHTTP(
        os.environ.get("PORT_BASE_URL") or PORT_API,
        client_id,
        client_secret,
        user_agent=f"port-ocean/{owner.integration_type}/{owner.version}/{owner.identifier}",
    )


def get_port_client_for_fake_integration() -> PortClient:
    """A ``PortClient`` writing and reading as the fake integration (its mapping empty)."""
    details = get_smoke_test_details()
    owner = _owner(details)
    return PortClient(PortAPIStore(_port_http(details), owner), owner, PortAppConfig())


async def cleanup_smoke_test() -> None:
    """Delete the smoke run's blueprints with their entities, then its integration; what
    is already gone (or refused) is logged and skipped, as the original does."""
    details = get_smoke_test_details()
    http = _port_http(details)
    _log.info("Cleaning up fake integration")
    try:
        for blueprint in (details.blueprint_department, details.blueprint_person):
            try:
                await _delete_blueprint(http, blueprint)
            except PortAPIError as error:
                _log.info("Skipping missing blueprint (%s): %s", blueprint, error)
        identifier = details.integration_identifier
        try:
            await http.call("DELETE", f"/integration/{identifier}", idempotent=True)
        except PortAPIError as error:
            _log.info("Failed to delete integration (%s): %s", identifier, error)
    finally:
        await http.close()
    _log.info("Cleaning up fake integration complete")


async def _delete_blueprint(http: PortHTTP, identifier: str) -> None:
    """Delete ``identifier`` and its entities, and wait for Port's migration doing it."""
    reply = await http.call(
        "DELETE",
        f"/blueprints/{identifier}/all-entities",
        params={"delete_blueprint": "true"},
        idempotent=True,
    )
    migration = reply.body.get("migrationId") if isinstance(reply.body, dict) else None
    while migration:
        answer = await http.call("GET", f"/migrations/{migration}", idempotent=True)
        status = (answer.body.get("migration") or {}).get("status")
        if status not in _UNFINISHED:
            _log.info("Migration with id: %s finished with status %s", migration, status)
            return
        await asyncio.sleep(MIGRATION_POLL_SECONDS)


__all__ = [
    "SmokeTestDetails",
    "cleanup_smoke_test",
    "get_port_client_for_fake_integration",
    "get_smoke_test_details",
]
__getattr__ = missing(__name__)
