"""The live-event route: ``POST /integration{path}`` for every registered processor path.

It answers 202 once the event is durably queued; 404 for a path without processors, 413
over the size limit, 400 for a body that is not a JSON object or a payload a processor
finds invalid, 401 when a processor cannot authenticate it; in those cases nothing is
queued. An event no processor wants is acknowledged with 200 and dropped. When the queue
cannot store it (Redis unreachable), 503 JSON with ``Retry-After``: never 202 for an
event that was not stored.
"""

from __future__ import annotations

import logging
import time
from typing import Any

import orjson
from starlette.requests import ClientDisconnect
from starlette.types import Receive, Scope, Send

from ocean.errors import QueueUnavailableError
from ocean.listen.http import DirectRoute
from ocean.live.process import Checks, Rejected, accept
from ocean.live.queue import EventQueue
from ocean.monitor.metrics import CountsEvents
from ocean.request_body import read_capped_from

_log = logging.getLogger(__name__)
REFUSALS_LOGGED_EVERY = 60.0
"""Seconds between two ERROR lines while the queue goes on refusing events."""


def live_event_routes(
    live: Checks,
    queue: EventQueue,
    metrics: CountsEvents,
    *,
    max_body_bytes: int,
    retry_after: int = 10,
) -> list[DirectRoute]:
    """``retry_after``: the seconds a 503 (queue unreachable) asks the sender to wait."""
    receiver = _Receiver(live, queue, metrics, max_body_bytes, retry_after)
    live.integration.live_sink = receiver.take  # for routes of the integration's own
    return [DirectRoute("/integration/{path:path}", receiver, methods=["POST"])]


class _Receiver:
    """The route's ASGI app itself, without Starlette's request and response objects (the
    route runs for every event, and they cost as much as the checks); served directly."""

    def __init__(
        self, live: Checks, queue: EventQueue, metrics: CountsEvents, limit: int, retry_after: int
    ) -> None:
        self._live, self._queue, self._metrics = live, queue, metrics
        self._limit, self._retry_after = limit, retry_after
        self._refusals = _Refusals()

    def _too_large(self, declared: int | None) -> Rejected:
        setting = "OCEAN__LIVE_EVENTS__MAX_BODY_BYTES"
        if declared is not None:
            return Rejected(
                413, f"the body is {declared} bytes; the limit is {self._limit} ({setting})"
            )
        return Rejected(413, f"the body is over the limit of {self._limit} bytes ({setting})")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = "/" + scope["path_params"]["path"]
        known = self._live.route_of(path) or "unknown"  # no label per random path or parameter
        headers = {  # a header sent twice: its first value, as Starlette's mapping reads it
            name.decode("latin-1"): value.decode("latin-1")
            for name, value in reversed(scope["headers"])
        }
        try:
            declared = headers.get("content-length", "")
            try:
                body = await read_capped_from(receive, declared, self._limit, self._too_large)
            except Rejected as too_large:
                self._metrics.event(known, f"rejected-{too_large.status}")
                raise
            queued = await self._take(path, known, body, headers)
        except ClientDisconnect:
            return await _answer(send, 499, None)  # the sender gave up; nothing was queued
        except Rejected as rejected:
            return await _answer(send, rejected.status, {"ok": False, "message": str(rejected)})
        except QueueUnavailableError:
            return await _unavailable(send, self._retry_after)
        if queued is None:
            return await _answer(send, 200, {"ok": True, "status": "ignored"})
        await _answer(send, 202, {"ok": True, "status": "queued", "id": queued})

    async def take(self, path: str, body: bytes, headers: dict[str, str]) -> str | None:
        """An event an integration's own route received, checked and queued as the route
        would (see :class:`ocean.integration.LiveSink`)."""
        known = self._live.route_of(path) or "unknown"
        if len(body) > self._limit:
            self._metrics.event(known, "rejected-413")
            raise self._too_large(len(body))
        return await self._take(path, known, body, headers)

    async def _take(
        self, path: str, known: str, body: bytes, headers: dict[str, str]
    ) -> str | None:
        try:
            accepted = await accept(self._live, path, body, headers)
        except Rejected as rejected:
            self._metrics.event(known, f"rejected-{rejected.status}")
            raise
        if accepted is None:
            self._metrics.event(known, "ignored")
            return None
        try:
            event = await self._queue.put(path, accepted.payload, headers, accepted.key, body)
        except QueueUnavailableError as error:
            self._metrics.event(known, "unavailable")
            self._refusals.refused(error)
            raise
        self._refusals.stored()
        self._metrics.event(known, "queued")
        return event.id


async def _answer(
    send: Send, status: int, content: Any, headers: list[tuple[bytes, bytes]] | None = None
) -> None:
    """A JSON response (none for ``content`` None)."""
    body = b"" if content is None else orjson.dumps(content)
    fields = [(b"content-length", str(len(body)).encode()), *(headers or ())]
    if content is not None:
        fields.append((b"content-type", b"application/json"))
    await send({"type": "http.response.start", "status": status, "headers": fields})
    await send({"type": "http.response.body", "body": body})


async def _unavailable(send: Send, retry_after: int) -> None:
    """Says what happened and what to do, not where the queue is: senders are outsiders
    (the integration's logs and ``/ready`` name it)."""
    message = (
        "the live-event queue is unreachable, so this event was not stored and will not be "
        f"applied; send it again after {retry_after} seconds (Retry-After)"
    )
    retry = [(b"retry-after", str(retry_after).encode())]
    await _answer(send, 503, {"ok": False, "error": message}, retry)


class _Refusals:
    """The events the queue could not store, told in the log: the senders get 503 with no
    detail (they are outsiders), so the reason (a full disk, Redis away) is logged at ERROR
    when the refusals start and once a minute while they go on, with their count, and at
    INFO when the queue stores events again. A queue at its limit (a nearly full disk,
    Redis at its maxmemory while the workers take events) refuses some events and stores
    others: an ERROR line is still written once a minute at most, the refusals between
    counted for the next one, and an INFO line follows only an ERROR line."""

    def __init__(self) -> None:
        self._count = 0
        """Events refused since the last INFO line."""
        self._since = 0.0
        """When the first of them was refused."""
        self._logged: float | None = None
        """When the last ERROR line was written."""
        self._told = False
        """Whether an ERROR line has told of the refusals counted."""
        self._error: QueueUnavailableError | None = None
        """The last refusal's reason."""

    def refused(self, error: QueueUnavailableError) -> None:
        now = time.monotonic()
        if not self._count:
            self._since = now
        self._count += 1
        self._error = error
        if self._logged is None or now - self._logged >= REFUSALS_LOGGED_EVERY:
            self._tell(now)

    def stored(self) -> None:
        if not self._count:  # (the hot path: one test)
            return
        now = time.monotonic()
        if not self._told:  # refused within a minute of the last ERROR line
            assert self._logged is not None
            if now - self._logged < REFUSALS_LOGGED_EVERY:
                return
            self._tell(now)
        _log.info(
            "the live-event queue stores events again, after refusing %d in %.1f seconds",
            self._count, now - self._since,
        )  # fmt: skip
        self._count, self._told = 0, False

    def _tell(self, now: float) -> None:
        self._logged, self._told = now, True
        if self._count == 1:
            _log.error("a live event was refused with 503: %s", self._error)
        else:
            _log.error(
                "%d live events refused with 503 in the last %.0f seconds: %s",
                self._count, now - self._since, self._error,
            )  # fmt: skip
