"""Route an integration's third-party HTTP calls through a test transport, as the original's
harness does: the shared ``http_async_client`` answers from the transport (through the
retrying transport, so 429 and 5xx answers are retried as in production), and every
``OceanAsyncClient`` the integration makes without a transport of its own gets the
transport itself."""

from __future__ import annotations

from typing import Any
from unittest import mock

import httpx
from loguru import logger


class InterceptedClients:
    """While started, third-party clients answer from ``transport``."""

    def __init__(self, transport: httpx.AsyncBaseTransport) -> None:
        self.transport = transport
        self._patches: list[Any] = []
        self._saved: tuple[Any, Any] | None = None

    def start(self) -> None:
        from port_ocean.helpers.async_client import OceanAsyncClient

        intercept = self.transport

        def init_transport(
            client: Any, transport: httpx.AsyncBaseTransport | None = None, **_: Any
        ) -> httpx.AsyncBaseTransport:
            return transport if transport is not None else intercept  # a given one is kept

        def init_proxy_transport(client: Any, proxy: Any, **_: Any) -> httpx.AsyncBaseTransport:
            return intercept

        for name, replacement in (
            ("_init_transport", init_transport),
            ("_init_proxy_transport", init_proxy_transport),
        ):
            patcher = mock.patch.object(OceanAsyncClient, name, replacement)
            patcher.start()
            self._patches.append(patcher)
        self._route_shared_client()

    def _route_shared_client(self) -> None:
        """The shared client of the running event loop answers from the transport."""
        from port_ocean.helpers.retry import RetryTransport
        from port_ocean.utils.async_http import http_async_client as shared

        self._saved = (shared._transport, shared._mounts)
        shared._transport = RetryTransport(wrapped_transport=self.transport, logger=logger)
        shared._mounts = {}

    def stop(self) -> None:
        if self._saved is not None:
            from port_ocean.utils.async_http import http_async_client as shared

            shared._transport, shared._mounts = self._saved
            self._saved = None
        for patcher in reversed(self._patches):
            patcher.stop()
        self._patches.clear()
