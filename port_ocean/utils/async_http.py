"""``port_ocean.utils.async_http``: the shared third-party client ``http_async_client``.

As the original's, it is an :class:`OceanAsyncClient` made on first use (one per event
loop here, so each test's loop gets its own), waiting ``ocean.config.client_timeout``.
Both names are read from this module when the client is made, so integrations' tests can
``mock.patch("port_ocean.utils.async_http.ocean")`` or ``...async_http.OceanAsyncClient``.
Setting an attribute on it (``mock.patch.object(http_async_client, "request")``) sets it
on the current client.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable
from typing import Any

import httpx

from port_ocean._unsupported import missing
from port_ocean.context.ocean import ocean
from port_ocean.helpers.async_client import OceanAsyncClient
from port_ocean.helpers.retry import RetryTransport


class _PerLoopClient:
    """Stands for the current client, made on first use. A client belongs to the first
    event loop it is used in; used in another loop once that one has closed (each test of
    an integration runs its own), a new client is made. Outside of any loop (a test's
    ``mock.patch``), the last client is the current one."""

    def __init__(self) -> None:
        object.__setattr__(self, "_made", None)

    def _current(self) -> httpx.AsyncClient:
        try:
            running: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        made: tuple[httpx.AsyncClient, asyncio.AbstractEventLoop | None] | None
        made = object.__getattribute__(self, "_made")
        if made is not None:
            client, loop = made
            if loop is not None and loop is not running and loop.is_closed():
                loop = None  # free for the next loop, unless one runs now
                if running is not None:
                    client = self._make()
            object.__setattr__(self, "_made", (client, loop or running))
            return client
        client = self._make()
        object.__setattr__(self, "_made", (client, running))
        return client

    @staticmethod
    def _make() -> httpx.AsyncClient:
        here = sys.modules[__name__]
        made_by: Callable[..., httpx.AsyncClient] = here.OceanAsyncClient
        return made_by(RetryTransport, timeout=here.ocean.config.client_timeout)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._current(), name)

    def __setattr__(self, name: str, value: Any) -> None:
        setattr(self._current(), name, value)

    def __delattr__(self, name: str) -> None:
        delattr(self._current(), name)

    def __repr__(self) -> str:
        return f"<http_async_client: {self._current()!r}>"


http_async_client: httpx.AsyncClient = _PerLoopClient()  # type: ignore[assignment]
"""One client for third-party calls, retrying as the original's (``port_ocean.helpers.retry``)."""

__all__ = ["OceanAsyncClient", "http_async_client", "ocean"]
__getattr__ = missing(__name__)
