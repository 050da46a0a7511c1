"""``port_ocean.utils``: the shared third-party HTTP client."""

from __future__ import annotations

import httpx

from port_ocean._unsupported import missing

http_async_client = httpx.AsyncClient(timeout=60, follow_redirects=True)
"""One client for third-party calls, as the original's (without its retry transport)."""

__getattr__ = missing(__name__)
