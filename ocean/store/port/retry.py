"""How long the Port API client waits before sending a call again, as the original's retry
transport does: up to 10 retries, exponential backoff from 0.3 s with 10% jitter, or the
wait the server asked for (``Retry-After``, then ``x-ratelimit-reset``: seconds, a Unix
time, an ISO-8601 time or an HTTP date), any single wait capped at 5 minutes."""

from __future__ import annotations

import datetime as dt
import email.utils
import random
import time
from collections.abc import Mapping
from dataclasses import dataclass

RETRY_STATUSES = frozenset({408, 429, 502, 503, 504})
"""What an idempotent call is sent again on (500 is not: it may be the request's fault)."""
WAIT_HEADERS = ("retry-after", "x-ratelimit-reset")
"""Where a server says how long to wait, in the order read."""
EPOCH_AFTER = 10_000
"""A number of seconds above this is a Unix time (as the original reads it)."""


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 11
    """Sends of an idempotent call at most: the first and the original's 10 retries."""
    base_delay: float = 0.3
    longest_wait: float = 300.0
    """Any single wait at most, asked for by the server or not."""

    def backoff(self, attempt: int) -> float:
        """The wait after the ``attempt``-th send failed, with no wait asked for."""
        delay = self.base_delay * 2.0 ** (attempt - 1)
        return float(min(delay * random.uniform(0.9, 1.1), self.longest_wait))

    def wait(self, asked: float | None, attempt: int) -> float:
        """The wait the server ``asked`` for (:func:`asked_wait`), else the backoff after
        the ``attempt``-th send; capped."""
        return min(self.backoff(attempt) if asked is None else asked, self.longest_wait)


def asked_wait(headers: Mapping[str, str], now: float | None = None) -> float | None:
    """Seconds to wait as the first header of :data:`WAIT_HEADERS` that reads says (None:
    none does, or each names a time already past). ``now``: a Unix time (tests)."""
    moment = time.time() if now is None else now
    for name in WAIT_HEADERS:
        value = (headers.get(name) or "").strip()
        seconds = _seconds(value, moment) if value else None
        if seconds is not None:
            return seconds
    return None


def _seconds(value: str, now: float) -> float | None:
    try:
        number = float(value)
    except ValueError:
        at = _moment(value)
        return None if at is None or at <= now else at - now
    if number != number or number < 0:  # NaN, or negative: not a wait
        return None
    if number > EPOCH_AFTER:
        return number - now if number > now else None
    return number


def _moment(value: str) -> float | None:
    """An ISO-8601 time or an HTTP date as a Unix time (a time without a zone is UTC)."""
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError:
        try:
            parsed = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.UTC)
    return parsed.timestamp()
