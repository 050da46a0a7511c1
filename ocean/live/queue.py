"""The durable live-event queue: what the HTTP route writes and the workers read.

Two backends implement :class:`EventQueue`: :mod:`ocean.live.sqlite_queue` (the default,
in the embedded catalog's file) and :mod:`ocean.live.redis_queue` (Redis Streams with a
consumer group, for several replicas). An event leaves the queue only when a worker has
applied it (``done``) or given up on it (``bury``: kept in the dead-letter list, which
``revive`` puts back in line). Events not yet done when a process stops are delivered
again after a restart; applying one twice writes the same entities, so each is applied
exactly once in effect.
"""

from __future__ import annotations

import contextlib
import json
from dataclasses import dataclass, field
from typing import Any, Protocol

import orjson

_DIGITS = bytes(0x30 if 0x30 <= byte <= 0x39 else 0x20 for byte in range(256))
"""A ``bytes.translate`` table: every digit becomes ``0``, anything else a space."""
_LONG_RUN = b"0" * 19
"""Digits enough for an integer past 64 bits."""


def read_json(data: bytes) -> Any:
    """JSON read by orjson (which refuses what is not JSON), and read again by the standard
    library when it holds 19 digits in a row: orjson reads integers past 64 bits as floats,
    Python's json (the original's ``request.json()``) keeps them exact, as a resync keeps
    its raw items' (looking for the digits with ``translate`` costs 1 µs a kilobyte, a
    regular expression ten times more)."""
    value = orjson.loads(data)
    if _LONG_RUN in data.translate(_DIGITS):
        with contextlib.suppress(RecursionError):  # nested deeper than json reads
            return json.loads(data)
    return value


def storable(text: str) -> str:
    """``text`` as a queue can store it (UTF-8): a lone surrogate, such as a name or a
    program's output decoded with ``surrogateescape`` leaves, is written as its escape."""
    try:
        text.encode()
    except UnicodeEncodeError:
        return text.encode(errors="backslashreplace").decode()
    return text


@dataclass
class QueuedEvent:
    """One live event as the queue keeps it."""

    id: str
    path: str
    payload: dict[str, Any]
    headers: dict[str, str]
    key: str | None
    received_at: float
    """Seconds since the epoch when the route accepted it."""
    attempts: int = 0
    error: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    """Backend bookkeeping (such as a Redis stream id)."""
    body: bytes = b""
    """The request body as received (kept for processors that check its signature)."""

    @property
    def stored(self) -> bytes:
        """What the queue keeps of the payload: the body as received, else its JSON."""
        if self.body:
            return self.body
        try:
            return orjson.dumps(self.payload)
        except TypeError:  # an integer past 64 bits
            return json.dumps(self.payload, ensure_ascii=False).encode()

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "path": self.path,
            "key": self.key,
            "receivedAt": self.received_at,
            "attempts": self.attempts,
            "error": self.error,
            "payload": self.payload,
        }


class EventQueue(Protocol):
    """A durable queue of one integration's live events."""

    async def put(
        self,
        path: str,
        payload: dict[str, Any],
        headers: dict[str, str],
        key: str | None,
        body: bytes = b"",
    ) -> QueuedEvent:
        """Store an event durably before the route answers (``body``: the request body
        as received, whose JSON ``payload`` is; kept instead of ``payload``'s JSON)."""
        ...

    async def take(self, limit: int, *, timeout: float) -> list[QueuedEvent]:
        """Up to ``limit`` events not handed out yet, oldest first, waiting up to
        ``timeout`` seconds for one. Events with a key come only after every earlier event
        with that key was handed out (and, across replicas, finished)."""
        ...

    async def done(self, event: QueuedEvent) -> None:
        """The event was applied: forget it."""
        ...

    async def bury(self, event: QueuedEvent, error: str) -> None:
        """The event failed for good: move it to the dead-letter list."""
        ...

    async def dead(self, most: int | None = None) -> list[QueuedEvent]:
        """The dead-letter list, oldest first (the ``most`` oldest when given)."""
        ...

    async def dead_count(self) -> int:
        """How many events the dead-letter list holds."""
        ...

    async def revive(self, ids: list[str] | None = None) -> int:
        """Put dead events (all, or those with these ids) back in line; returns how many."""
        ...

    async def depth(self) -> int:
        """Events waiting or being applied."""
        ...

    async def close(self) -> None: ...
