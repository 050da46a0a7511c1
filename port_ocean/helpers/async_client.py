"""``OceanAsyncClient``: an httpx client whose transports retry (``port_ocean.helpers``).

As in the original, the module reads the integration through its own ``ocean`` name (the
third-party TLS settings), which integrations' tests replace with
``mock.patch("port_ocean.helpers.async_client.ocean")``.
"""

from __future__ import annotations

import ssl
from collections.abc import AsyncIterator
from typing import Any

import httpx
import orjson

from port_ocean._unsupported import missing
from port_ocean.context.ocean import ocean
from port_ocean.helpers.retry import RetryConfig, RetryTransport


def verify_of(settings: Any) -> bool | ssl.SSLContext:
    """httpx's ``verify`` for one side of the original's ``ssl`` settings: no check, the
    default check, or (``x509.strict`` off) one that accepts certificates without the
    X.509 extensions Python 3.13 requires by default."""
    if not settings.verify:
        return False
    if settings.x509.strict:
        return True
    context = ssl.create_default_context()
    context.verify_flags &= ~getattr(ssl, "VERIFY_X509_STRICT", 0)
    return context


class OceanAsyncClient(httpx.AsyncClient):
    """``httpx.AsyncClient`` with every transport it makes (direct and through proxies)
    wrapped in ``transport_class`` (a :class:`RetryTransport`), as the original's. A
    ``transport=`` given explicitly is used as it is. Without ``verify``, certificates are
    checked as ``ocean.config.ssl.third_party`` says."""

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
        if "verify" not in kwargs:
            kwargs["verify"] = verify_of(ocean.config.ssl.third_party)
        super().__init__(**kwargs)

    def _retrying(self, inner: httpx.AsyncHTTPTransport) -> httpx.AsyncBaseTransport:
        return self._transport_class(
            wrapped_transport=inner, retry_config=self._retry_config, **self._transport_kwargs
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

    async def get_stream(self, url: str, **kwargs: Any) -> httpx.Response:
        """``GET url``, its body not read yet (read it with ``aiter_bytes``); an error
        status raises ``httpx.HTTPStatusError``."""
        response = await self.send(self.build_request("GET", url, **kwargs), stream=True)
        if response.is_error:
            await response.aread()
            response.raise_for_status()
        return response


class StreamingClientWrapper:
    """Reads a JSON list out of a large answer (the original's ``stream_json``).

    Unlike the original, which parses the body as it arrives from an encrypted temporary
    file, the body is read into memory and parsed once: the items come in one batch."""

    def __init__(self, http_client: OceanAsyncClient) -> None:
        self._client = http_client

    async def stream_json(
        self, url: str, target_items_path: str, **kwargs: Any
    ) -> AsyncIterator[list[dict[str, Any]]]:
        """The items of the list at ``target_items_path`` (dotted keys, ``""`` for a list
        at the top) of the JSON that ``GET url`` answers."""
        response = await self._client.get_stream(url, **kwargs)
        try:
            document: Any = orjson.loads(await response.aread())
        finally:
            await response.aclose()
        for key in (part for part in target_items_path.split(".") if part):
            document = document.get(key) if isinstance(document, dict) else None
        yield list(document or [])


__all__ = ["OceanAsyncClient", "StreamingClientWrapper", "ocean"]
__getattr__ = missing(__name__)
