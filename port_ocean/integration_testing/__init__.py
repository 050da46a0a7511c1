"""``port_ocean.integration_testing``: test an integration end to end, as with the original's
harness, but through Ocean's own engine into an embedded catalog.

A test states what the third-party API answers (:class:`InterceptTransport`), the mapping
and the configuration; the harness runs a full resync of the integration folder and
returns what it wrote and deleted (:class:`ResyncResult`). :class:`BaseIntegrationTest`
wraps it into pytest fixtures.
"""

from port_ocean._unsupported import missing
from port_ocean.integration_testing.base import BaseIntegrationTest
from port_ocean.integration_testing.harness import IntegrationTestHarness, ResyncResult
from port_ocean.integration_testing.port_mock import PortMockResponder
from port_ocean.integration_testing.transport import InterceptTransport

__all__ = [
    "InterceptTransport",
    "PortMockResponder",
    "IntegrationTestHarness",
    "ResyncResult",
    "BaseIntegrationTest",
]
__getattr__ = missing(__name__)
