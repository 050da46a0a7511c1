"""``OceanAsyncClient``: an httpx client whose transports retry (``port_ocean.helpers``)."""

from __future__ import annotations

from typing import Any

import httpx

from port_ocean._unsupported import missing
from port_ocean.helpers.retry import RetryConfig, RetryTransport


class OceanAsyncClient(httpx.AsyncClient):
    """``httpx.AsyncClient`` with every transport it makes (direct and through proxies)
    wrapped in ``transport_class`` (a :class:`RetryTransport`), as the original's. A
    ``transport=`` given explicitly is used as it is."""

    def __init__(
        self,
        transport_class: type[RetryTransport] = RetryTransport,
        transport_kwargs: dict[str, Any] | None = None,
        retry_config: RetryConfig | None = None,
        **kwargs: Any,
    ) -> None:
        self._transport_class = transport_class
        self._transport_kwargs = transport_kwargs or {}
        self._retry_config = retry_config
        super().__init__(**kwargs)

    def _retrying(self, inner: httpx.AsyncHTTPTransport) -> httpx.AsyncBaseTransport:
        return self._transport_class(
            inner, retry_config=self._retry_config, **self._transport_kwargs
        )

    # httpx builds its transports in these two methods; the original wraps them there too.
    def _init_transport(  # type: ignore[override]
        self, transport: httpx.AsyncBaseTransport | None = None, **kwargs: Any
    ) -> httpx.AsyncBaseTransport:
        if transport is not None:
            return transport
        return self._retrying(httpx.AsyncHTTPTransport(**kwargs))

    def _init_proxy_transport(  # type: ignore[override]
        self, proxy: httpx.Proxy, **kwargs: Any
    ) -> httpx.AsyncBaseTransport:
        return self._retrying(httpx.AsyncHTTPTransport(proxy=proxy, **kwargs))


__getattr__ = missing(__name__)
