"""HTTP to the Port API: token auth, retries, a real concurrency limit, clear errors.

A token is fetched when first needed and kept until shortly before it expires, one fetch
at a time (callers waiting for it share it); a 401 replaces the token that got it, once
per call, and sends the call again. Idempotent calls (reads, searches, upserts, deletes,
the token request) are sent again on 429, 408, 502, 503, 504, on transport errors and on
an answer that is not whole JSON, as :mod:`ocean.store.port.retry` says; other calls are
sent once. Every answer is parsed here, and every error names the call, the status and
Port's answer.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from typing import Any

import httpx
import orjson

from ocean.errors import CatalogUnavailableError, StoreError
from ocean.store.port.deadline import DEADLINE_HEADER, NOW_HEADER, PATIENCE, READS, clock_offset
from ocean.store.port.limits import CLIENT_HEADER, HEADER, PORT, Limits
from ocean.store.port.retry import RETRY_STATUSES, RetryPolicy, asked_wait

_log = logging.getLogger(__name__)

TOKEN_PATH = "/auth/access_token"


class PortAPIError(StoreError):
    """A Port API call failed; the message names the call, the status and Port's answer."""

    def __init__(self, call: str, status: int | None, body: str) -> None:
        super().__init__(f"Port API {call} failed with {status or 'no response'}: {body[:500]}")
        self.call, self.status, self.body = call, status, body


class PortUnavailableError(PortAPIError, CatalogUnavailableError):
    """Port did not answer, or answered that it cannot now (408, 429, 502-504), after the
    retries an idempotent call gets: no request is at fault."""


def _retrieved(task: asyncio.Task[Any]) -> None:
    """Read a shared task's error, so that none is reported as never retrieved when every
    caller waiting for it was stopped."""
    if not task.cancelled():
        task.exception()


def _failed(call: str, status: int | None, body: str) -> PortAPIError:
    """The error of a failed call: :class:`PortUnavailableError` when Port did not answer or
    said it cannot now (408, 429, 502-504; a plain 500 may be the request's own fault)."""
    unavailable = status is None or status in RETRY_STATUSES
    return (PortUnavailableError if unavailable else PortAPIError)(call, status, body)


@dataclass(frozen=True, slots=True)
class Reply:
    """A successful answer, its JSON body parsed."""

    status: int
    body: Any
    headers: httpx.Headers
    sent_at: float = 0.0
    """When the send it answers was made, by ``time.monotonic`` (the last try's, not the
    first's: a wait for a slot or a retry comes before it)."""


@dataclass(frozen=True, slots=True)
class _Request:
    method: str
    path: str
    content: bytes | None
    params: Any
    headers: dict[str, str]
    authorized: bool = True

    @property
    def name(self) -> str:
        return f"{self.method} {self.path}"


class _Again(Exception):
    """This send failed in a way a later one may not: ``error`` if none is left."""

    def __init__(self, error: PortAPIError, asked: float | None = None) -> None:
        self.error, self.asked = error, asked
        """``asked``: the wait the server asked for, if it did."""


class _Refused(Exception):
    """A 401 on an authorized call: its token is no longer taken."""

    def __init__(self, error: PortAPIError) -> None:
        self.error = error


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
        attempts: int = RetryPolicy.attempts,
        base_delay: float = RetryPolicy.base_delay,
        timeout: float = 60,
    ) -> None:
        self._base = base_url.rstrip("/").removesuffix("/v1")  # (given with it or not)
        self._client = httpx.AsyncClient(
            base_url=self._base + "/v1",
            transport=transport,
            timeout=timeout,
            headers={"User-Agent": user_agent},
        )
        self._credentials = {"clientId": client_id, "clientSecret": client_secret}
        self._token: tuple[str, float] | None = None
        self._fetching: asyncio.Task[tuple[str, float]] | None = None
        """The token fetch under way: one at a time, its outcome (its error too) shared by
        every call waiting for it."""
        self._offered: Limits | None = None
        """The larger limits an Ocean catalog server offered (None: Port's apply)."""
        self._offset: float | None = None
        """Ocean's server's clock minus this process's monotonic clock (so that a step of
        the wall clock moves no deadline), for its writes' deadlines; None: Port."""
        self._patience = PATIENCE * float(self._client.timeout.read or timeout)
        self._timeless = False
        """An Ocean server older than ``/ocean/time`` answered (:meth:`server_time`)."""
        self._in_flight = asyncio.Semaphore(max_in_flight)
        self._policy = RetryPolicy(attempts=attempts, base_delay=base_delay)
        self._failing = False
        """Whether the last call failed and is being sent again (said once, at WARNING)."""

    async def close(self) -> None:
        if self._fetching is not None:
            self._fetching.cancel()
        await self._client.aclose()

    @property
    def user_agent(self) -> str:
        """What calls that name no User-Agent of their own send (the token request too)."""
        return str(self._client.headers["User-Agent"])

    @user_agent.setter
    def user_agent(self, value: str) -> None:
        self._client.headers["User-Agent"] = value

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
    ) -> Reply:
        """Send one call (retried when idempotent); raise :class:`PortAPIError` on failure."""
        extra = _JSON_TYPE | (headers or {}) | ({"User-Agent": user_agent} if user_agent else {})
        request = _Request(method, path, _encoded(json), params, extra)  # encoded once
        return await self._exchange(request, self._policy.attempts if idempotent else 1)

    async def ingest(self, method: str, url: str, body: Any) -> None:
        """Send ``body`` once to an ingest URL Port names (sync metrics, logs) with the API's
        token: beside the calls (not waiting for one of their slots), any 2xx taken (it
        need not be JSON), and a 401 not answered with a new token (the URL is not the
        API that issued it: a new one would be refused again, for every call); raise
        :class:`PortAPIError` on failure (a body JSON cannot carry too, unsent: its cause
        the encoder's error)."""
        name = f"{method} {url}"
        try:
            content = _encoded(body)
        except TypeError as error:  # orjson's JSONEncodeError: an integer beyond 64 bits, ...
            raise PortAPIError(name, None, f"the body is not JSON: {error}") from error
        headers = _JSON_TYPE | {"Authorization": await self._authorization()}
        try:
            response = await self._client.request(method, url, content=content, headers=headers)
        except httpx.HTTPError as error:
            raise _failed(name, None, f"{type(error).__name__}: {error}") from None
        if not response.is_success:
            raise _failed(name, response.status_code, response.text)

    async def _exchange(self, request: _Request, tries: int) -> Reply:
        """Send ``request`` until it succeeds, at most ``tries`` times (and once more
        after a 401 that replaced its token)."""
        attempt, refreshed = 1, False
        while True:
            token = await self._authorization() if request.authorized else None
            try:
                reply = await self._once(request, token)
            except _Refused as refused:
                if refreshed or token is None:
                    raise refused.error from None
                refreshed = True  # refused, not done: sent again at once, with a new token
                await self._refresh(token)
            except _Again as again:
                if attempt >= tries:
                    raise _gave_up(again.error, tries) from None
                self._note_failing(again.error, tries - attempt)
                await asyncio.sleep(self._policy.wait(again.asked, attempt))
                attempt += 1
            else:
                if self._failing:
                    self._failing = False
                    _log.info("the Port API at %s answers again", self._base)
                return reply

    def _note_failing(self, error: PortAPIError, left: int) -> None:
        """Say once, while calls fail, that they are being sent again (a wrong URL or a
        down server would otherwise be silent for the minutes the retries take)."""
        if not self._failing and error.status != 429:  # (rate limits are Port's normal pace)
            self._failing = True
            _log.warning("%s; sending it again up to %d more times (the catalog URL is %s)",
                         error, left, self._base)  # fmt: skip

    async def _once(self, request: _Request, token: str | None) -> Reply:
        """One send: its parsed answer, or why it failed (:class:`_Again` when a later
        send may succeed, :class:`_Refused` on a 401, else the final error)."""
        headers = request.headers | ({"Authorization": token} if token else {})
        try:
            async with self._in_flight:
                if self._offset is not None and request.method not in READS:  # (sent now)
                    deadline = time.monotonic() + self._offset + self._patience
                    headers = headers | {DEADLINE_HEADER: f"{deadline:.3f}"}
                sent_at = time.monotonic()
                response = await self._client.request(
                    request.method,
                    request.path,
                    content=request.content,
                    params=request.params,
                    headers=headers,
                )
        except httpx.HTTPError as error:  # a timeout, a refused or cut connection
            raise _Again(_failed(request.name, None, f"{type(error).__name__}: {error}")) from None
        status = response.status_code
        if status == 401 and token is not None:
            raise _Refused(_failed(request.name, status, response.text))
        if status in RETRY_STATUSES:
            busy = _failed(request.name, status, response.text)
            raise _Again(busy, asked_wait(response.headers))
        if response.is_error:
            raise _failed(request.name, status, response.text)
        return Reply(status, _parsed(request.name, response), response.headers, sent_at)

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
            reply = await self.call("GET", "/ocean/time", idempotent=True)
        except PortAPIError as error:
            if error.status != 404:
                raise
            self._timeless = True  # not asked again
            return None
        return str(reply.body["now"])

    @property
    def ocean(self) -> bool:
        """Whether the API is Ocean's own catalog server (it offered its limits)."""
        return self._offered is not None

    async def _authorization(self) -> str:
        """The token to send: the one held while it lasts, else a new one."""
        token = self._token
        if token is not None and time.monotonic() < token[1]:
            return token[0]
        return (await self._new_token())[0]

    async def _refresh(self, refused: str) -> None:
        """Replace the token ``refused`` was, unless another call already did."""
        if self._token is None or self._token[0] == refused:
            await self._new_token()

    async def _new_token(self) -> tuple[str, float]:
        """A new token, fetched once for every call that asks while the fetch runs: they
        share its token or its error (a caller stopping does not stop it for the others)."""
        if self._fetching is None or self._fetching.done():
            self._fetching = asyncio.ensure_future(self._fetch_and_keep())
            self._fetching.add_done_callback(_retrieved)
        return await asyncio.shield(self._fetching)

    async def _fetch_and_keep(self) -> tuple[str, float]:
        token = self._token = await self._fetch_token()
        return token

    async def _fetch_token(self) -> tuple[str, float]:
        """A new token and when to stop using it (retried as an idempotent call; a 401
        means the credentials are wrong, and is not)."""
        request = _Request(
            "POST", TOKEN_PATH, _encoded(self._credentials), None, _JSON_TYPE, authorized=False
        )
        try:
            reply = await self._exchange(request, self._policy.attempts)
        except PortAPIError as error:
            if error.status not in (401, 403):
                raise
            refused = (
                "the client id and secret were refused: check OCEAN__PORT__CLIENT_ID and "
                f"OCEAN__PORT__CLIENT_SECRET (machine credentials from Port's UI); Port: {error.body}"
            )
            raise PortAPIError(request.name, error.status, refused) from None
        body = reply.body if isinstance(reply.body, dict) else {}
        if not body.get("accessToken"):
            raise PortAPIError(
                request.name, reply.status, f"the answer holds no accessToken: {reply.body!r}"
            )
        offered = Limits.from_header(reply.headers.get(HEADER))
        if offered is not None:  # Ocean's own catalog server: use its larger limits
            self._offered = offered
            self._client.headers[CLIENT_HEADER] = "1"
            # (from the send answered: a retry or a wait for a slot would push it later)
            self._offset = clock_offset(reply.headers.get(NOW_HEADER), reply.sent_at)
        expires = float(body.get("expiresIn") or 3600)
        full = f"{body.get('tokenType') or 'Bearer'} {body['accessToken']}"
        return full, time.monotonic() + expires * 0.9


def _gave_up(error: PortAPIError, tries: int) -> PortAPIError:
    """``error``, saying that retries did not help (when there were any)."""
    if tries < 2:
        return error
    advice = f"sent {tries} times, the last answer is this; try again later"
    return type(error)(error.call, error.status, f"{error.body[:400]} ({advice})")


def _parsed(call: str, response: httpx.Response) -> Any:
    """A success's JSON body; :class:`_Again` when it is not whole JSON (a proxy's HTML
    page, a body cut short), as a later send may be answered in full."""
    if response.status_code == 204 or not response.content:
        return {}
    media = str(response.headers.get("content-type", "")).split(";", 1)[0].strip().lower()
    if media != "application/json" and not media.endswith("+json"):
        problem = f"the answer is not JSON ({media or 'no content type'}): {response.text[:200]}"
        raise _Again(PortAPIError(call, response.status_code, problem))
    try:
        return orjson.loads(response.content)
    except orjson.JSONDecodeError as error:
        problem = (
            f"the JSON answer is cut short or malformed ({error}); a proxy or the network "
            f"may have cut it: {response.text[:200]}"
        )
        raise _Again(PortAPIError(call, response.status_code, problem)) from None


_JSON_TYPE = {"Content-Type": "application/json"}


def _encoded(body: Any) -> bytes | None:
    """A request body as JSON, by orjson (a bulk write of thousands of entities: the
    standard library's encoder took a tenth of the client's time); keys that are not
    strings are written as strings, as the standard library does."""
    return None if body is None else orjson.dumps(body, option=orjson.OPT_NON_STR_KEYS)
