"""Third-party calls are retried as the original's ``RetryTransport`` retries them."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from email.utils import formatdate
from typing import Any

import httpx
import pytest

from port_ocean.helpers import retry as retry_module
from port_ocean.helpers.retry import (
    RetryConfig,
    RetryTransport,
    register_on_retry_callback,
    register_retry_config_callback,
    wait_from_header,
)

NOW = 1_800_000_000.0
ISO_IN_30_SECONDS = datetime.fromtimestamp(NOW + 30, UTC).isoformat()
QUICK = RetryConfig(base_delay=0, max_backoff_wait=0.01)
Answer = int | tuple[int, dict[str, str]] | type[Exception]


class Scripted:
    """A third party that answers each call with the next scripted status (or error)."""

    def __init__(self, answers: list[Answer]) -> None:
        self.answers = list(answers)
        self.requests: list[httpx.Request] = []
        self.headers: list[dict[str, str]] = []  # as each was sent (a retry may edit them)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        self.headers.append(dict(request.headers))
        answer = self.answers.pop(0)
        if isinstance(answer, type):
            raise answer("scripted failure", request=request)  # type: ignore[call-arg]
        status, headers = answer if isinstance(answer, tuple) else (answer, {})
        return httpx.Response(status, headers=headers, json={"status": status})


@pytest.fixture(autouse=True)
def no_registered_callbacks() -> Iterator[None]:
    yield
    retry_module._callbacks.clear()


async def _send(
    answers: list[Answer],
    config: RetryConfig | None = QUICK,
    method: str = "GET",
    extensions: dict[str, object] | None = None,
) -> tuple[httpx.Response, Scripted]:
    third_party = Scripted(answers)
    transport = RetryTransport(httpx.MockTransport(third_party), retry_config=config)
    async with httpx.AsyncClient(transport=transport) as client:
        request = client.build_request(method, "https://api.example.com/repos")
        request.extensions.update(extensions or {})
        return await client.send(request), third_party


@pytest.mark.parametrize(
    ("answers", "calls", "status"),
    [
        ([503, 200], 2, 200),
        ([(429, {"Retry-After": "0"}), 200], 2, 200),
        ([408, 502, 504, 200], 4, 200),
        ([httpx.ConnectError, httpx.ReadTimeout, 200], 3, 200),
        ([404, 200], 1, 404),
        ([401, 200], 1, 401),
        ([500, 200], 1, 500),
    ],
    ids=["503", "429", "408-502-504", "connect-error-and-timeout", "404", "401", "500"],
)
async def test_a_get_is_retried_on_transient_failures_only(
    answers: list[Answer], calls: int, status: int
) -> None:
    response, third_party = await _send(answers)

    assert (response.status_code, len(third_party.requests)) == (status, calls)


async def test_after_max_attempts_retries_the_last_answer_is_returned() -> None:
    config = RetryConfig(max_attempts=2, base_delay=0)
    response, third_party = await _send([503, 502, 504, 200], config)

    assert (response.status_code, len(third_party.requests)) == (504, 3)


@pytest.mark.parametrize(
    ("method", "extensions", "calls"),
    [
        ("POST", {}, 1),
        ("POST", {"retryable": True}, 2),
        ("PUT", {}, 2),
        ("GET", {"skip_retry": True}, 1),
    ],
)
async def test_which_requests_are_retried(
    method: str, extensions: dict[str, object], calls: int
) -> None:
    _, third_party = await _send([503, 200], method=method, extensions=extensions)

    assert len(third_party.requests) == calls


@pytest.mark.parametrize(
    ("config", "status", "headers", "retry", "seconds"),
    [
        (RetryConfig(), 429, {"Retry-After": "3"}, 1, 3.0),
        (RetryConfig(), 429, {"x-ratelimit-reset": str(int(NOW) + 20)}, 1, 20.0),
        (RetryConfig(), 429, {"x-ratelimit-reset": str(int(NOW) - 5)}, 1, 0.0),
        (RetryConfig(), 429, {"Retry-After": ISO_IN_30_SECONDS}, 1, 30.0),
        (RetryConfig(), 429, {"Retry-After": formatdate(NOW + 45, usegmt=True)}, 1, 45.0),
        (RetryConfig(), 429, {"Retry-After": "600"}, 1, 60.0),
        (RetryConfig(retry_after_headers=["X-Wait"]), 429, {"X-Wait": "7"}, 1, 7.0),
        (RetryConfig(respect_retry_after_header=False), 429, {"Retry-After": "9"}, 1, 0.1),
        (RetryConfig(ignore_retry_after_status_codes=[503]), 503, {"Retry-After": "9"}, 1, 0.1),
        (RetryConfig(), 503, {"Retry-After": "soon"}, 1, 0.1),
        (RetryConfig(), 503, {}, 3, 0.4),
        (RetryConfig(max_backoff_wait=1), 503, {}, 8, 1.0),
    ],
    ids=[
        "retry-after-seconds",
        "rate-limit-reset-epoch",
        "reset-already-passed",
        "iso-date",
        "http-date",
        "capped",
        "own-header",
        "headers-not-respected",
        "status-ignores-headers",
        "unreadable-header",
        "backoff-doubles",
        "backoff-capped",
    ],
)
def test_how_long_a_retry_waits(
    config: RetryConfig, status: int, headers: dict[str, str], retry: int, seconds: float
) -> None:
    waited = config.wait(retry, NOW, headers, status)

    assert waited == pytest.approx(seconds, rel=config.jitter_ratio + 1e-9)


@pytest.mark.parametrize(
    ("value", "seconds"),
    [("12", 12.0), ("12.5", None), ("", None), ("tomorrow", None), (str(int(NOW) + 90), 90.0)],
)
def test_a_rate_limit_header_reads_as_seconds_an_epoch_or_a_date(
    value: str, seconds: float | None
) -> None:
    assert wait_from_header(value, NOW) == seconds


def test_a_jitter_ratio_beyond_half_is_refused_with_the_value() -> None:
    with pytest.raises(ValueError, match="jitter_ratio=0.9"):
        RetryConfig(jitter_ratio=0.9)


async def test_an_on_retry_callback_rewrites_retried_requests_and_makes_401_retryable() -> None:
    def refreshed(request: httpx.Request) -> httpx.Request:
        request.headers["Authorization"] = "Bearer fresh"
        return request

    register_on_retry_callback(refreshed)
    response, third_party = await _send([401, 200])

    assert response.status_code == 200
    assert [h.get("authorization") for h in third_party.headers] == [None, "Bearer fresh"]


class QuotaAwareTransport(RetryTransport):
    """As integrations subclass it: watch every answer, stop on an exhausted quota, and
    sign each retry."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.seen: list[tuple[int, int]] = []

    async def after_retry_async(
        self, request: httpx.Request, response: httpx.Response, attempt: int
    ) -> None:
        self.seen.append((attempt, response.status_code))

    async def _should_retry_async(self, response: httpx.Response) -> bool:
        if response.headers.get("x-daily-quota") == "exhausted":
            return False
        return await super()._should_retry_async(response)

    async def before_retry_async(
        self,
        request: httpx.Request,
        response: httpx.Response | None,
        sleep_time: float,
        attempts_made: int,
    ) -> httpx.Request | None:
        request.headers["x-retry"] = str(attempts_made)
        return request


@pytest.mark.parametrize(
    ("answers", "seen", "retry_headers"),
    [
        ([503, 429, 200], [(1, 503), (2, 429), (3, 200)], [None, "1", "2"]),
        ([503, (429, {"x-daily-quota": "exhausted"}), 200], [(1, 503), (2, 429)], [None, "1"]),
    ],
    ids=["retried", "quota-exhausted"],
)
async def test_a_subclass_hooks_into_every_answer_and_retry(
    answers: list[Answer], seen: list[tuple[int, int]], retry_headers: list[str | None]
) -> None:
    third_party = Scripted(answers)
    transport = QuotaAwareTransport(
        wrapped_transport=httpx.MockTransport(third_party), retry_config=QUICK
    )

    async with httpx.AsyncClient(transport=transport) as client:
        await client.get("https://api.example.com/repos")

    assert transport.seen == seen
    assert [h.get("x-retry") for h in third_party.headers] == retry_headers


class ResetHeaderTransport(RetryTransport):
    """Sentry's and GitHub's habits: its own wait header (milliseconds), its own retry
    log line, and a look at the request an answer came for."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.logged: list[tuple[str, float]] = []
        self.answered_for: list[str] = []

    def _calculate_sleep(
        self, attempts_made: int, headers: Any, status_code: int | None = None
    ) -> float:
        reset = headers.get("X-Reset-Ms")
        return int(reset) / 1000 if reset else super()._calculate_sleep(attempts_made, headers)

    def _log_before_retry(
        self,
        request: httpx.Request,
        sleep_time: float,
        response: httpx.Response | None,
        error: Exception | None,
    ) -> None:
        self.logged.append((request.url.path, sleep_time))
        super()._log_before_retry(request, sleep_time, response, error)

    async def _should_retry_async(self, response: httpx.Response) -> bool:
        self.answered_for.append(response.request.url.path)
        return await super()._should_retry_async(response)


async def test_a_subclass_decides_the_wait_and_logs_each_retry(
    caplog: pytest.LogCaptureFixture,
) -> None:
    third_party = Scripted([(429, {"X-Reset-Ms": "20"}), 503, 200])
    transport = ResetHeaderTransport(httpx.MockTransport(third_party), retry_config=QUICK)

    async with httpx.AsyncClient(transport=transport) as client:
        response = await client.get("https://api.example.com/repos")

    assert response.status_code == 200
    assert transport.logged == [("/repos", 0.02), ("/repos", pytest.approx(0, abs=0.01))]
    assert transport.answered_for == ["/repos"] * 3
    assert [r.getMessage() for r in caplog.records][0] == (
        "GET https://api.example.com/repos answered 429; retrying in 0.02 s"
    )


async def test_a_call_that_fails_after_its_last_retry_is_logged_as_an_error(
    caplog: pytest.LogCaptureFixture,
) -> None:
    config = RetryConfig(max_attempts=1, base_delay=0)
    with pytest.raises(httpx.ConnectError):
        await _send([httpx.ConnectError, httpx.ConnectError], config)

    assert [(r.levelname, r.getMessage()) for r in caplog.records] == [
        (
            "WARNING",
            "GET https://api.example.com/repos failed: ConnectError: scripted failure; "
            "retrying in 0.00 s",
        ),
        (
            "ERROR",
            "GET https://api.example.com/repos failed: ConnectError: scripted failure; "
            "no retries left",
        ),
    ]


class CountedLoopTransport(RetryTransport):
    """Replaces the retry loop itself, as older integrations (Sentry's) do."""

    loops = 0

    async def _retry_operation_async(self, request: httpx.Request, send: Any) -> httpx.Response:
        CountedLoopTransport.loops += 1
        return await send(request)


async def test_a_subclass_may_replace_the_retry_loop_of_retryable_requests() -> None:
    third_party = Scripted([503, 503])
    transport = CountedLoopTransport(httpx.MockTransport(third_party), retry_config=QUICK)

    async with httpx.AsyncClient(transport=transport) as client:
        assert (await client.get("https://api.example.com/repos")).status_code == 503
        assert (await client.post("https://api.example.com/repos")).status_code == 503

    assert (CountedLoopTransport.loops, len(third_party.requests)) == (1, 2)


async def test_a_registered_config_applies_to_transports_made_before_it() -> None:
    transport = RetryTransport(httpx.MockTransport(third_party := Scripted([503] * 5)))
    register_retry_config_callback(lambda: RetryConfig(max_attempts=1, base_delay=0))

    async with httpx.AsyncClient(transport=transport) as client:
        response = await client.get("https://api.example.com/repos")

    assert (response.status_code, len(third_party.requests)) == (503, 2)


def _shared_client() -> httpx.AsyncClient:
    from port_ocean.utils import http_async_client

    return http_async_client


def _own_client() -> httpx.AsyncClient:
    from port_ocean.helpers.async_client import OceanAsyncClient

    return OceanAsyncClient(retry_config=RetryConfig(base_delay=0), timeout=5)


@pytest.mark.parametrize("client", [_shared_client, _own_client], ids=["shared", "own"])
async def test_the_original_s_clients_retry_a_real_server(
    client: Callable[[], httpx.AsyncClient],
) -> None:
    answers = [b"503 Service Unavailable\r\nRetry-After: 0", b"200 OK"]

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        status = answers.pop(0)
        writer.write(
            b"HTTP/1.1 " + status + b"\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}"
        )
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(answer, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    async with server:
        response = await client().get(f"http://127.0.0.1:{port}/repos")

    assert (response.status_code, response.json(), answers) == (200, {}, [])


async def test_a_transport_that_rewrites_retried_requests_retries_401() -> None:
    class Refreshing(RetryTransport):
        async def before_retry_after_sleep_async(
            self, request: httpx.Request, response: Any, sleep_time: float, attempts_made: int
        ) -> httpx.Request:
            request.headers["Authorization"] = "Bearer fresh"
            return request

    third_party = Scripted([401, 200])
    transport = Refreshing(httpx.MockTransport(third_party), retry_config=QUICK)
    async with httpx.AsyncClient(transport=transport) as client:
        response = await client.get("https://api.example.com/repos")

    assert response.status_code == 200
    assert third_party.headers[1]["authorization"] == "Bearer fresh"


def test_a_config_s_attributes_are_what_is_in_effect_as_the_original_s() -> None:
    config = RetryConfig(
        additional_retry_status_codes=[500],
        retry_after_headers=["X-RateLimit-Reset"],
        ignore_retry_after_status_codes=[500],
    )

    assert {500, 429, 503, 401} <= config.retry_status_codes  # type: ignore[operator]
    assert config.retry_after_headers == ["X-RateLimit-Reset", "Retry-After", "x-ratelimit-reset"]
    assert config.ignore_retry_after_status_codes == frozenset({500})
    assert "GET" in config.retryable_methods  # type: ignore[operator]


class _CutOff(httpx.AsyncByteStream):
    async def __aiter__(self) -> Any:
        yield b'{"items": [1,'
        raise httpx.RemoteProtocolError("incomplete chunked read")


class _Whole(httpx.AsyncByteStream):
    async def __aiter__(self) -> Any:
        yield b'{"items": [1, 2]}'


class _FailsFirst(httpx.AsyncBaseTransport):
    """Answers ``first`` (a body cut off, or a proxy's refusal), then the whole body."""

    def __init__(self, first: str) -> None:
        self.first, self.calls = first, 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.calls += 1
        chunked = {"Transfer-Encoding": "chunked"}
        if self.calls > 1:
            return httpx.Response(200, headers=chunked, stream=_Whole())
        if self.first == "proxy":
            raise httpx.ProxyError("502 Bad Gateway from proxy on CONNECT")
        return httpx.Response(200, headers=chunked, stream=_CutOff())


@pytest.mark.parametrize("first", ["cut-off-body", "proxy"])
async def test_a_body_cut_off_mid_read_or_a_proxy_s_refusal_is_retried(first: str) -> None:
    api = _FailsFirst(first)
    transport = RetryTransport(wrapped_transport=api, retry_config=RetryConfig(base_delay=0.01))
    async with httpx.AsyncClient(transport=transport) as client:
        answer = await client.get("https://api.example.com/items")

    assert (answer.json(), api.calls) == ({"items": [1, 2]}, 2)


def test_a_rate_limit_date_already_past_is_skipped_for_the_next_header_or_the_backoff() -> None:
    """The original's ``_parse_retry_header`` reads a date that has passed (a clock behind
    the server's) as nothing to wait for: the next header, else the backoff, decides;
    not a retry at once (ten of them, with no wait, against a rate-limited API)."""
    past = datetime.fromtimestamp(NOW - 30, UTC).isoformat()
    config = RetryConfig(jitter_ratio=0)

    assert wait_from_header(past, NOW) is None
    assert config.wait(1, NOW, {"Retry-After": past, "x-ratelimit-reset": "5"}, 429) == 5.0
    assert config.wait(2, NOW, {"x-ratelimit-reset": past}, 429) == pytest.approx(0.2)
