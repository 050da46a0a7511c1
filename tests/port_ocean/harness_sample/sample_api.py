"""The code host's API: teams through the shared client (numbered pages), repositories
through a client of the integration's own (cursor pages)."""

from collections.abc import AsyncIterator
from typing import Any

from port_ocean.context.ocean import ocean
from port_ocean.helpers.async_client import OceanAsyncClient
from port_ocean.helpers.retry import RetryTransport
from port_ocean.utils import http_async_client

STARTS: list[str] = []
"""What ran main.py's ``on_start`` (the harness, as the original's, never does)."""


class SampleClient:
    def __init__(self) -> None:
        config = ocean.integration_config
        self.base = config["api_url"].rstrip("/")
        self.headers = {"Authorization": f"Bearer {config['api_token']}"}

    async def teams(self) -> AsyncIterator[list[dict[str, Any]]]:
        page = 1
        while True:
            response = await http_async_client.get(
                f"{self.base}/teams", params={"page": page}, headers=self.headers
            )
            response.raise_for_status()
            batch = response.json()["teams"]
            if not batch:
                return
            yield batch
            page += 1

    async def repositories(self) -> AsyncIterator[list[dict[str, Any]]]:
        async with OceanAsyncClient(RetryTransport, timeout=10) as client:
            url: str | None = f"{self.base}/repos"
            while url:
                response = await client.get(url, headers=self.headers)
                response.raise_for_status()
                body = response.json()
                yield body["items"]
                url = body.get("next")
