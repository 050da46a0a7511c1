"""Failure buckets for the token route: so many failed attempts per client id from one
address, and per address, refilled over a window; an empty bucket answers 429 with
``Retry-After``.

No bucket counts a client id's failures from every address: client ids are not secret
(the audit log names them), so such a bucket would let anyone who knows one lock its
credential out, the right secret refused with the rest. Guessing a secret needs no such
bucket: it is 256 random bits (:func:`~ocean.store.credentials.new_secret`), and each address
hashes at most ``per_address`` guesses a window. The address is the TCP peer's, or what a
proxy the server trusts says (``ocean catalog serve --forwarded-allow-ips``).

The buckets belong to the app (one :class:`LoginLimits` per server), not to the module.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass

from ocean.errors import RateLimitedError


@dataclass
class _Bucket:
    tokens: float
    at: float


class FailureBucket:
    """``capacity`` failures per key, refilled evenly over ``window`` seconds."""

    def __init__(
        self, capacity: int, window: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.capacity, self.window, self._clock = capacity, window, clock
        self._buckets: dict[str, _Bucket] = {}

    def wait(self, key: str) -> int:
        """Seconds until ``key`` may fail again (0: now)."""
        bucket = self._refilled(key)
        if bucket is None or bucket.tokens >= 1:
            return 0
        return max(1, math.ceil((1 - bucket.tokens) * self.window / self.capacity))

    def failed(self, key: str) -> None:
        bucket = self._refilled(key) or _Bucket(float(self.capacity), self._clock())
        bucket.tokens -= 1
        if len(self._buckets) >= 10_000:  # refilled buckets carry nothing: drop them
            for other in list(self._buckets):
                self._refilled(other)
        self._buckets[key] = bucket

    def _refilled(self, key: str) -> _Bucket | None:
        bucket = self._buckets.get(key)
        if bucket is None:
            return None
        now = self._clock()
        bucket.tokens = min(
            float(self.capacity),
            bucket.tokens + (now - bucket.at) * self.capacity / self.window,
        )
        bucket.at = now
        if bucket.tokens >= self.capacity:
            del self._buckets[key]
            return None
        return bucket


class LoginLimits:
    """The token route's limits: failed attempts per client id from one client address
    (``per_client``), and per client address whatever the client id (``per_address``)."""

    def __init__(
        self,
        per_client: int = 10,
        per_address: int = 30,
        window: float = 300.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.clients = FailureBucket(per_client, window, clock)
        self.addresses = FailureBucket(per_address, window, clock)

    def check(self, client_id: str, address: str) -> None:
        """Raise :class:`RateLimitedError` when either bucket is empty."""
        pair = _pair(client_id, address)
        by_client, by_address = self.clients.wait(pair), self.addresses.wait(address)
        if by_client or by_address:
            which = (
                f"client id {client_id!r} from {address}: {self.clients.capacity}"
                if by_client
                else f"address {address}: {self.addresses.capacity}"
            )
            window = int(self.clients.window)
            raise RateLimitedError(
                f"too many failed token requests for {which} failures per {window} s are "
                f"allowed; retry in {max(by_client, by_address)} s with the right clientSecret "
                "(`ocean catalog credentials rotate` gives a new one)",
                max(by_client, by_address),
            )

    def failed(self, client_id: str, address: str) -> None:
        self.clients.failed(_pair(client_id, address))
        self.addresses.failed(address)


def _pair(client_id: str, address: str) -> str:
    """The key of a client id's failures from one address (an address holds no space)."""
    return f"{address} {client_id}"
