"""``BaseIntegrationTest``: subclass it, say what the third party answers, the mapping and
the configuration, and its tests get a started harness (``harness``) or the result of one
full resync (``resync``) as fixtures.

Example::

    class TestMyIntegration(BaseIntegrationTest):
        def create_third_party_transport(self) -> InterceptTransport:
            transport = InterceptTransport(strict=True)
            transport.add_route("GET", "/api/items", {"json": [{"id": 1}]})
            return transport

        def create_mapping_config(self) -> dict[str, Any]:
            return {"resources": [...]}

        def create_integration_config(self) -> dict[str, Any]:
            return {"integration": {"identifier": "test", "type": "mine", "config": {}}}

        async def test_items(self, resync: ResyncResult) -> None:
            assert [e["identifier"] for e in resync.upserted_entities] == ["1"]
"""

from __future__ import annotations

import inspect
import os
from collections.abc import AsyncIterator
from typing import Any

import pytest

from port_ocean.integration_testing.harness import IntegrationTestHarness, ResyncResult
from port_ocean.integration_testing.transport import InterceptTransport


class BaseIntegrationTest:
    """Integration tests of one integration folder (by default, the parent of the folder
    holding the test file)."""

    @property
    def integration_path(self) -> str:
        test_file = inspect.getfile(self.__class__)
        return os.path.abspath(os.path.join(os.path.dirname(test_file), ".."))

    def create_third_party_transport(self) -> InterceptTransport:
        """The third-party API's answers (override)."""
        raise NotImplementedError("Subclasses must implement create_third_party_transport()")

    def create_mapping_config(self) -> dict[str, Any]:
        """The mapping to resync with, as port-app-config.yml spells it (override)."""
        raise NotImplementedError("Subclasses must implement create_mapping_config()")

    def create_integration_config(self) -> dict[str, Any]:
        """Settings over the harness's defaults; the integration's own under
        ``integration.config``."""
        return {"integration": {"identifier": "test-integration", "type": "test", "config": {}}}

    def get_port_search_entities_response(self) -> list[dict[str, Any]] | None:
        """Entities already in the catalog, owned by the integration, before each resync
        (those the resync does not produce are deleted as stale)."""
        return None

    @pytest.fixture
    async def harness(self) -> AsyncIterator[IntegrationTestHarness]:
        """A started harness, shut down after the test."""
        started = IntegrationTestHarness(
            integration_path=self.integration_path,
            port_mapping_config=self.create_mapping_config(),
            third_party_transport=self.create_third_party_transport(),
            config_overrides=self.create_integration_config(),
            port_search_entities_response=self.get_port_search_entities_response(),
        )
        try:
            await started.start()
            yield started
        finally:
            await started.shutdown()

    @pytest.fixture
    async def resync(self, harness: IntegrationTestHarness) -> ResyncResult:
        """The result of one full resync."""
        return await harness.trigger_resync()
