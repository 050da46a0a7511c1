"""How long the Port API client waits before sending a call again: the original's backoff,
and the wait a server asks for in each form the original reads, and an HTTP date."""

from __future__ import annotations

import datetime as dt
import email.utils

import httpx
import pytest

from ocean.store.port.retry import RetryPolicy, asked_wait


def test_the_backoff_doubles_from_a_third_of_a_second_and_no_wait_exceeds_five_minutes() -> None:
    policy = RetryPolicy()

    waits = [policy.backoff(attempt) for attempt in range(1, 14)]

    assert 0.27 <= waits[0] <= 0.33 and 2.1 <= waits[3] <= 2.7
    assert waits[-1] == 300.0 and policy.wait(3600.0, 1) == 300.0


NOW = 1_800_000_000.0


def _http_date(seconds: float) -> str:
    return email.utils.format_datetime(
        dt.datetime.fromtimestamp(NOW + seconds, dt.UTC), usegmt=True
    )


def _iso(seconds: float) -> str:
    return dt.datetime.fromtimestamp(NOW + seconds, dt.UTC).isoformat()


@pytest.mark.parametrize(
    ("headers", "wait"),
    [
        pytest.param({"Retry-After": "60"}, 60.0, id="seconds"),
        pytest.param({"Retry-After": "0.2"}, 0.2, id="fractional-seconds"),
        pytest.param({"Retry-After": str(int(NOW) + 5)}, 5.0, id="a-unix-time"),
        pytest.param({"Retry-After": _http_date(60)}, 60.0, id="an-http-date"),
        pytest.param({"Retry-After": _iso(30)}, 30.0, id="an-iso-time"),
        pytest.param({"x-ratelimit-reset": "60"}, 60.0, id="x-ratelimit-reset"),
        pytest.param({"Retry-After": "soon", "x-ratelimit-reset": "7"}, 7.0, id="the-next-header"),
        pytest.param({"Retry-After": _http_date(-60)}, None, id="a-time-past"),
        pytest.param({"Retry-After": "soon"}, None, id="unreadable"),
        pytest.param({}, None, id="none"),
    ],
)
def test_the_wait_a_server_asks_for_is_read_in_each_form_the_original_reads(
    headers: dict[str, str], wait: float | None
) -> None:
    asked = asked_wait(httpx.Headers(headers), now=NOW)

    assert asked == (None if wait is None else pytest.approx(wait, abs=1e-6))
