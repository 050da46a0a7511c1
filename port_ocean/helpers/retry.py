"""Retries of third-party calls (``port_ocean.helpers.retry``), as the original's.

``http_async_client`` sends through a :class:`RetryTransport`; integrations tune it with a
:class:`RetryConfig`, either per transport or for every transport at once with
:func:`register_retry_config_callback`. A call is retried when its method is idempotent (or
the request asks with ``extensions={"retryable": True}``; ``{"skip_retry": True}`` sends it
once) and it failed to connect, timed out, or answered 408, 429, 502, 503 or 504 (plus
``additional_retry_status_codes``), up to ``max_attempts`` more times. The wait
is what the server asked for (``Retry-After``, ``x-ratelimit-reset`` and any
``retry_after_headers``: seconds, an epoch time, or a date), else an exponential backoff
with jitter, never more than ``max_backoff_wait``. After the last attempt the last answer is
returned as it came.

Unlike the original, a 401 is retried only when a retry can carry new credentials: an
on-retry callback is registered (:func:`register_on_retry_callback`, which can refresh a
token), or the transport rewrites requests before retrying (a subclass's
``before_retry_async`` or ``before_retry_after_sleep_async``). Otherwise every retry would
be refused the same way, and a bad token would cost a minute of waiting.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

from port_ocean._unsupported import missing

IDEMPOTENT = frozenset({"HEAD", "GET", "PUT", "DELETE", "OPTIONS", "TRACE"})
RETRY_STATUSES = frozenset({408, 429, 502, 503, 504})
RATE_LIMIT_HEADERS = ("Retry-After", "x-ratelimit-reset")
EPOCH_ABOVE = 10_000
"""A wait header's whole number above this is a point in time (epoch seconds), as the
original reads it; below, a number of seconds."""


@dataclass
class RetryConfig:
    """How a :class:`RetryTransport` retries (the original's arguments)."""

    max_attempts: int = 10
    max_backoff_wait: float = 60
    base_delay: float = 0.1
    jitter_ratio: float = 0.1
    respect_retry_after_header: bool = True
    retryable_methods: Iterable[str] | None = None
    retry_status_codes: Iterable[int] | None = None
    """Deprecated in the original (use ``additional_retry_status_codes``); added too."""
    retry_after_headers: list[str] | None = None
    additional_retry_status_codes: Iterable[int] | None = None
    ignore_retry_after_status_codes: Iterable[int] | None = None
    """Answers with these statuses wait the backoff, whatever their headers say."""
    apply_sync_tier_jitter: bool = True
    """Accepted; Ocean has no sync tiers to spread."""
    methods: frozenset[str] = field(init=False)
    statuses: frozenset[int] = field(init=False)
    wait_headers: tuple[str, ...] = field(init=False)

    def __post_init__(self) -> None:
        if not 0 <= self.jitter_ratio <= 0.5:
            raise ValueError(
                f"RetryConfig(jitter_ratio={self.jitter_ratio}): the jitter ratio must be "
                "between 0 and 0.5"
            )
        self.methods = frozenset(m.upper() for m in self.retryable_methods or IDEMPOTENT)
        extra = [*(self.retry_status_codes or ()), *(self.additional_retry_status_codes or ())]
        self.statuses = RETRY_STATUSES | frozenset(extra)
        named = list(self.retry_after_headers or RATE_LIMIT_HEADERS)
        self.wait_headers = (*named, *(h for h in RATE_LIMIT_HEADERS if h not in named))
        # As the original's attributes: what is in effect, not what was given. 401 is
        # listed, as in the original; it is retried when a retry can carry new credentials.
        self.retryable_methods = self.methods
        self.retry_status_codes = self.statuses | {401}
        self.retry_after_headers = list(self.wait_headers)
        self.ignore_retry_after_status_codes = frozenset(self.ignore_retry_after_status_codes or ())

    def wait(
        self,
        retry: int,
        now: float,
        headers: Mapping[str, str] | None = None,
        status: int | None = None,
    ) -> float:
        """Seconds to wait before the ``retry``-th retry (from 1) after an answer with
        ``status`` and ``headers`` (neither after a failure to get one)."""
        ignored = set(self.ignore_retry_after_status_codes or ())
        if headers is not None and self.respect_retry_after_header:
            for name in () if status in ignored else self.wait_headers:
                header = headers.get(name)
                asked = wait_from_header(header, now) if header else None
                if asked is not None:
                    return min(asked, self.max_backoff_wait)
        backoff = self.base_delay * 2.0 ** max(0, retry - 1)
        jitter = backoff * self.jitter_ratio * random.choice((1, -1))
        return min(max(0.0, backoff + jitter), self.max_backoff_wait)


RetryConfigCallback = Callable[[], RetryConfig]
OnRetryCallback = Callable[[httpx.Request], httpx.Request]
_callbacks: dict[str, Any] = {}
"""The registered callbacks (one each, process-wide, as in the original)."""


def register_retry_config_callback(retry_config_callback: RetryConfigCallback) -> None:
    """Supply the :class:`RetryConfig` of every transport not given one."""
    _callbacks["config"] = retry_config_callback


def register_on_retry_callback(_on_retry_callback: OnRetryCallback) -> None:
    """Rewrite each request before it is sent again (to refresh a token, say); 401 answers
    are retried from then on."""
    _callbacks["on_retry"] = _on_retry_callback


def _default_config() -> RetryConfig:
    callback: RetryConfigCallback | None = _callbacks.get("config")
    return callback() if callback is not None else RetryConfig()


def wait_from_header(value: str, now: float) -> float | None:
    """Seconds to wait that a rate-limit header asks for: seconds, an epoch time, an ISO
    date or an HTTP date; None when it is none of these, or a date already past (as the
    original: the next header or the backoff decides)."""
    value = value.strip()
    if value.isdigit():
        seconds = int(value)
        return float(max(0.0, seconds - now) if seconds > EPOCH_ABOVE else seconds)
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        try:
            moment = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
    if moment.tzinfo is None:
        moment = moment.astimezone()
    ahead = moment.timestamp() - now
    return ahead if ahead > 0 else None


RETRIED_ERRORS = (httpx.HTTPError,)
"""Failures to get an answer that a retry may get past: any of httpx's, as the original
(timeouts, network and protocol errors, a proxy's refusal, a body cut off mid-read)."""
Send = Callable[[httpx.Request], Awaitable[httpx.Response]]
_log = logging.getLogger(__name__)


class RetryTransport(httpx.AsyncBaseTransport):
    """An async transport that retries as :class:`RetryConfig` says (the original's
    arguments; ``retry_config`` wins over the single ones).

    Subclasses may override the original's hooks: :meth:`_should_retry_async` (and its
    sync twin :meth:`_should_retry`), :meth:`after_retry_async`, :meth:`before_retry_async`
    and :meth:`before_retry_after_sleep_async` (the last two may return a new request),
    :meth:`_calculate_sleep`, :meth:`_log_before_retry`, :meth:`_log_error`, and the loop
    itself, :meth:`_retry_operation_async`. Retries and final failures are logged to
    ``logger`` if given (loguru's, say), else to this module's standard logger."""

    def __init__(  # noqa: PLR0913 (the original's signature)
        self,
        wrapped_transport: httpx.AsyncBaseTransport | None = None,
        max_attempts: int = 10,
        max_backoff_wait: float = 60,
        base_delay: float = 0.1,
        jitter_ratio: float = 0.1,
        respect_retry_after_header: bool = True,
        retryable_methods: Iterable[str] | None = None,
        retry_status_codes: Iterable[int] | None = None,
        retry_config: RetryConfig | None = None,
        logger: Any | None = None,
        retry_after_headers: list[str] | None = None,
    ) -> None:
        self._wrapped_transport = wrapped_transport or httpx.AsyncHTTPTransport()
        given = RetryConfig(
            max_attempts=max_attempts,
            max_backoff_wait=max_backoff_wait,
            base_delay=base_delay,
            jitter_ratio=jitter_ratio,
            respect_retry_after_header=respect_retry_after_header,
            retryable_methods=retryable_methods,
            retry_status_codes=retry_status_codes,
            retry_after_headers=retry_after_headers,
        )
        self._config = retry_config or (None if given == RetryConfig() else given)
        self._logger = logger if logger is not None else _log

    @property
    def _retry_config(self) -> RetryConfig:
        """The transport's own configuration, else the registered callback's, read once at
        the first request (``main.py`` registers it after importing the client)."""
        if self._config is None:
            self._config = _default_config()
        return self._config

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        send = self._wrapped_transport.handle_async_request
        if self._is_retryable_method(request):
            return await self._retry_operation_async(request, send)
        return await send(request)

    async def _retry_operation_async(self, request: httpx.Request, send: Send) -> httpx.Response:
        """Send ``request`` until an answer need not be retried or the attempts run out."""
        retries, attempt = self._retry_config.max_attempts, 0
        while True:
            try:
                response, final = await self._answer(request, send, attempt, retries)
            except RETRIED_ERRORS as error:
                if attempt >= retries:
                    self._log_error(request, error)
                    raise
                answer: httpx.Response | Exception = error
            else:
                if final:
                    return response
                answer = response
            attempt += 1
            request = await self._wait(request, answer, attempt)

    async def _answer(
        self, request: httpx.Request, send: Send, attempt: int, retries: int
    ) -> tuple[httpx.Response, bool]:
        """The response, and whether it is the one to return (else it was closed, to be
        retried). A body sent without a length (chunked) is read here, as the original
        does when not streaming: one cut off mid-read is retried too."""
        response = await send(request)
        response.request = request
        await self.after_retry_async(request, response, attempt + 1)
        if attempt >= retries or not await self._should_retry_async(response):
            if "content-length" not in response.headers:
                await _read_whole(response)
            return response, True
        await response.aclose()
        return response, False

    async def _wait(
        self, request: httpx.Request, answer: httpx.Response | Exception, attempt: int
    ) -> httpx.Request:
        """Wait before the ``attempt``-th retry; the request to send then."""
        response, error = (answer, None) if isinstance(answer, httpx.Response) else (None, answer)
        if response is None:
            seconds = self._calculate_sleep(attempt, {})
        else:
            seconds = self._calculate_sleep(attempt, response.headers, response.status_code)
        request = await self.before_retry_async(request, response, seconds, attempt) or request
        self._log_before_retry(request, seconds, response, error)
        await asyncio.sleep(seconds)
        after = await self.before_retry_after_sleep_async(request, response, seconds, attempt)
        request = after or request
        callback: OnRetryCallback | None = _callbacks.get("on_retry")
        return callback(request) if callback is not None else request

    def _calculate_sleep(
        self, attempts_made: int, headers: Mapping[str, str], status_code: int | None = None
    ) -> float:
        """Seconds to wait before retry number ``attempts_made`` (from 1)."""
        return self._retry_config.wait(attempts_made, time.time(), headers, status_code)

    def _is_retryable_method(self, request: httpx.Request) -> bool:
        if request.extensions.get("skip_retry"):
            return False
        return bool(
            request.method in self._retry_config.methods or request.extensions.get("retryable")
        )

    def _should_retry(self, response: httpx.Response) -> bool:
        refreshes = response.status_code == 401 and self._refreshes_credentials()
        return refreshes or response.status_code in self._retry_config.statuses

    def _refreshes_credentials(self) -> bool:
        """Whether a retry can carry new credentials: an on-retry callback is registered,
        or this transport rewrites the request before retrying (its own
        ``before_retry_async`` or ``before_retry_after_sleep_async``)."""
        kind = type(self)
        return (
            "on_retry" in _callbacks
            or kind.before_retry_async is not RetryTransport.before_retry_async
            or kind.before_retry_after_sleep_async
            is not RetryTransport.before_retry_after_sleep_async
        )

    async def _should_retry_async(self, response: httpx.Response) -> bool:
        return RetryTransport._should_retry(self, response)

    async def after_retry_async(
        self, request: httpx.Request, response: httpx.Response, attempt: int
    ) -> None:
        """Called with every answer (``attempt`` counts from 1)."""

    async def before_retry_async(
        self,
        request: httpx.Request,
        response: httpx.Response | None,
        sleep_time: float,
        attempts_made: int,
    ) -> httpx.Request | None:
        """Called before waiting for a retry; may return the request to send instead."""
        return None

    async def before_retry_after_sleep_async(
        self,
        request: httpx.Request,
        response: httpx.Response | None,
        sleep_time: float,
        attempts_made: int,
    ) -> httpx.Request | None:
        """Called after waiting, before the retry; may return the request to send instead."""
        return None

    def _log_before_retry(
        self,
        request: httpx.Request,
        sleep_time: float,
        response: httpx.Response | None,
        error: Exception | None,
    ) -> None:
        why = f"answered {response.status_code}" if response is not None else _failure(error)
        self._logger.warning(
            f"{request.method} {request.url} {why}; retrying in {sleep_time:.2f} s"
        )

    def _log_error(self, request: httpx.Request, error: Exception | None) -> None:
        self._logger.error(f"{request.method} {request.url} {_failure(error)}; no retries left")

    async def aclose(self) -> None:
        await self._wrapped_transport.aclose()


async def _read_whole(response: httpx.Response) -> None:
    """Read ``response``'s body now; closed if it is cut off (then raised, to be retried)."""
    try:
        await response.aread()
    except httpx.HTTPError:
        with contextlib.suppress(Exception):
            await response.aclose()
        raise


def _failure(error: Exception | None) -> str:
    return f"failed: {type(error).__name__}: {error or 'no message'}"


__getattr__ = missing(__name__)
