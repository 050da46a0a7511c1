"""``port_ocean.utils``: the shared third-party HTTP client."""

from __future__ import annotations

import httpx

from port_ocean._unsupported import missing
from port_ocean.helpers.retry import RetryTransport

http_async_client = httpx.AsyncClient(transport=RetryTransport(), timeout=60, follow_redirects=True)
"""One client for third-party calls, retrying as the original's (``port_ocean.helpers.retry``)."""

__getattr__ = missing(__name__)
