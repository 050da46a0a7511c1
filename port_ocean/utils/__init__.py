"""``port_ocean.utils``: the shared third-party HTTP client (``port_ocean.utils.async_http``)."""

from __future__ import annotations

from port_ocean._unsupported import missing
from port_ocean.utils.async_http import http_async_client

__all__ = ["http_async_client"]
__getattr__ = missing(__name__)
