"""HTTP to the Port API: token auth, retries, a real concurrency limit, clear errors.

Tokens are cached until shortly before they expire and refreshed once on a 401. Idempotent
calls (reads, searches, upserts, deletes) are retried on 429 (honouring ``Retry-After``),
408, 502, 503, 504 and transport errors, with exponential backoff and jitter and a bounded
number of attempts; other calls are sent once. Every error names the call, the status and
Port's error body.
"""

from __future__ import annotations

import asyncio
import random
import time
from typing import Any

import httpx
import orjson

from ocean.errors import CatalogUnavailableError, StoreError
from ocean.store.port.limits import CLIENT_HEADER, HEADER, PORT, Limits

RETRY_STATUSES = {408, 429, 502, 503, 504}


class PortAPIError(StoreError):
    """A Port API call failed; the message names the call, the status and Port's answer."""

    def __init__(self, call: str, status: int | None, body: str) -> None:
        super().__init__(f"Port API {call} failed with {status or 'no response'}: {body[:500]}")
        self.status = status


class PortUnavailableError(PortAPIError, CatalogUnavailableError):
    """Port did not answer, or answered that it cannot now (408, 429, 502-504), after the
    retries an idempotent call gets: no request is at fault."""


def _failed(call: str, status: int | None, body: str) -> PortAPIError:
    """The error of a failed call: :class:`PortUnavailableError` when Port did not answer or
    said it cannot now (408, 429, 502-504; a plain 500 may be the request's own fault)."""
    unavailable = status is None or status in RETRY_STATUSES
    return (PortUnavailableError if unavailable else PortAPIError)(call, status, body)


class PortHTTP:
    """Authenticated, retrying, concurrency-limited calls to one Port API."""

    def __init__(  # noqa: PLR0913
        self,
        base_url: str,
        client_id: str,
        client_secret: str,
        *,
        user_agent: str,
        transport: httpx.AsyncBaseTransport | None = None,
        max_in_flight: int = 10,
        attempts: int = 5,
        base_delay: float = 0.3,
        timeout: float = 60,
    ) -> None:
        self._client = httpx.AsyncClient(
            base_url=base_url.rstrip("/") + "/v1",
            transport=transport,
            timeout=timeout,
            headers={"User-Agent": user_agent},
        )
        self._credentials = {"clientId": client_id, "clientSecret": client_secret}
        self._token: tuple[str, float] | None = None
        self._offered: Limits | None = None
        """The larger limits an Ocean catalog server offered (None: Port's apply)."""
        self._timeless = False
        """An Ocean server older than ``/ocean/time`` answered (:meth:`server_time`)."""
        self._in_flight = asyncio.Semaphore(max_in_flight)
        self._attempts, self._base_delay = attempts, base_delay

    async def close(self) -> None:
        await self._client.aclose()

    async def call(
        self,
        method: str,
        path: str,
        *,
        idempotent: bool,
        json: Any = None,
        params: Any = None,
        user_agent: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        """Send one call (retried when idempotent); raise :class:`PortAPIError` on failure."""
        name = f"{method} {path}"
        refreshed = False
        content = _encoded(json)  # once, whatever the retries
        extra = headers or {}
        for attempt in range(1, (self._attempts if idempotent else 1) + 1):
            headers = {"Authorization": await self._authorization(), **_JSON_TYPE, **extra}
            if user_agent:
                headers["User-Agent"] = user_agent
            try:
                async with self._in_flight:
                    response = await self._client.request(
                        method, path, content=content, params=params, headers=headers
                    )
            except httpx.TransportError as error:
                if attempt >= (self._attempts if idempotent else 1):
                    raise _failed(name, None, f"{type(error).__name__}: {error}") from error
                await asyncio.sleep(self._backoff(attempt))
                continue
            if response.status_code == 401 and not refreshed:
                self._token, refreshed = None, True
                response = await self._retry_once_authenticated(
                    method, path, content, params, headers
                )
            if response.status_code in RETRY_STATUSES and idempotent and attempt < self._attempts:
                await asyncio.sleep(self._wait(response, attempt))
                continue
            if response.is_error:
                raise _failed(name, response.status_code, response.text)
            if not _is_json(response):
                if idempotent and attempt < self._attempts:
                    await asyncio.sleep(self._backoff(attempt))
                    continue
                raise PortAPIError(name, response.status_code, f"not JSON: {response.text[:200]}")
            return response
        raise PortAPIError(
            name, None, "gave up"
        )  # pragma: no cover - the loop always returns or raises

    async def _retry_once_authenticated(
        self, method: str, path: str, content: bytes | None, params: Any, headers: dict[str, str]
    ) -> httpx.Response:
        headers = {**headers, "Authorization": await self._authorization()}
        async with self._in_flight:
            return await self._client.request(
                method, path, content=content, params=params, headers=headers
            )

    async def limits(self) -> Limits:
        """What one call may carry (known once a token is held, so one is fetched first)."""
        await self._authorization()
        return self._offered or PORT

    async def server_time(self) -> str | None:
        """Ocean's own catalog server's time (``GET /v1/ocean/time``); None from Port, or
        from an Ocean server older than the route (known once a token is held, so one is
        fetched first)."""
        await self._authorization()
        if self._offered is None or self._timeless:
            return None
        try:
            response = await self.call("GET", "/ocean/time", idempotent=True)
        except PortAPIError as error:
            if error.status != 404:
                raise
            self._timeless = True  # not asked again
            return None
        return str(response.json()["now"])

    @property
    def ocean(self) -> bool:
        """Whether the API is Ocean's own catalog server (it offered its limits)."""
        return self._offered is not None

    async def _authorization(self) -> str:
        if self._token is None or time.monotonic() >= self._token[1]:
            response = await self._client.post("/auth/access_token", json=self._credentials)
            if response.is_error:
                raise PortAPIError("POST /auth/access_token", response.status_code, response.text)
            body = response.json()
            offered = Limits.from_header(response.headers.get(HEADER))
            if offered is not None:  # Ocean's own catalog server: use its larger limits
                self._offered = offered
                self._client.headers[CLIENT_HEADER] = "1"
            expires = float(body.get("expiresIn", 3600))
            self._token = (
                f"{body.get('tokenType', 'Bearer')} {body['accessToken']}",
                time.monotonic() + expires * 0.9,
            )
        return self._token[0]

    def _backoff(self, attempt: int) -> float:
        delay = self._base_delay * 2 ** (attempt - 1)
        return float(min(delay * random.uniform(0.9, 1.1), 300.0))

    def _wait(self, response: httpx.Response, attempt: int) -> float:
        retry_after = response.headers.get("retry-after")
        if retry_after is not None:
            try:
                return min(float(retry_after), 300.0)
            except ValueError:
                pass
        return self._backoff(attempt)


def _is_json(response: httpx.Response) -> bool:
    """Whether a success answered JSON (a proxy or a broken server may answer an HTML
    page). Judged by the content type, so large bodies are parsed once, by the caller."""
    media = str(response.headers.get("content-type", "")).split(";", 1)[0].strip().lower()
    return media == "application/json" or media.endswith("+json")


_JSON_TYPE = {"Content-Type": "application/json"}


def _encoded(body: Any) -> bytes | None:
    """A request body as JSON, by orjson (a bulk write of thousands of entities: the
    standard library's encoder took a tenth of the client's time); keys that are not
    strings are written as strings, as the standard library does."""
    return None if body is None else orjson.dumps(body, option=orjson.OPT_NON_STR_KEYS)


def json_of(response: httpx.Response) -> Any:
    """A response's JSON body, by orjson."""
    return orjson.loads(response.content)
