"""The live-event route: ``POST /integration{path}`` for every registered processor path.

It answers 202 once the event is durably queued; 404 for a path without processors, 413
over the size limit, 400 for a body that is not a JSON object or a payload a processor
finds invalid, 401 when a processor cannot authenticate it; in those cases nothing is
queued. An event no processor wants is acknowledged with 200 and dropped. When the queue
cannot store it (Redis unreachable), 503 JSON with ``Retry-After``: never 202 for an
event that was not stored.
"""

from __future__ import annotations

from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from ocean.errors import QueueUnavailableError
from ocean.live.process import LiveEvents, Rejected, accept
from ocean.live.queue import EventQueue
from ocean.monitor.metrics import Metrics
from ocean.request_body import read_capped


def live_event_routes(
    live: LiveEvents,
    queue: EventQueue,
    metrics: Metrics,
    *,
    max_body_bytes: int,
    retry_after: int = 10,
) -> list[Route]:
    """``retry_after``: the seconds a 503 (queue unreachable) asks the sender to wait."""

    async def receive(request: Request) -> Response:
        path = "/" + request.path_params["path"]
        known = live.route_of(path) or "unknown"  # no label per random path or parameter
        try:
            body = await _body(request, max_body_bytes)
            accepted = await accept(live, path, body, dict(request.headers))
        except ClientDisconnect:
            return Response(status_code=499)  # the sender gave up; nothing was queued
        except Rejected as rejected:
            metrics.event(known, f"rejected-{rejected.status}")
            return JSONResponse({"ok": False, "message": str(rejected)}, rejected.status)
        if accepted is None:
            metrics.event(known, "ignored")
            return JSONResponse({"ok": True, "status": "ignored"}, 200)
        try:
            event = await queue.put(
                path, accepted.payload, dict(request.headers), accepted.key, body
            )
        except QueueUnavailableError:
            metrics.event(known, "unavailable")
            return _unavailable(retry_after)
        metrics.event(known, "queued")
        return JSONResponse({"ok": True, "status": "queued", "id": event.id}, 202)

    return [Route("/integration/{path:path}", receive, methods=["POST"])]


def _unavailable(retry_after: int) -> Response:
    """Says what happened and what to do, not where the queue is: senders are outsiders
    (the integration's logs and ``/ready`` name it)."""
    message = (
        "the live-event queue is unreachable, so this event was not stored and will not be "
        f"applied; send it again after {retry_after} seconds (Retry-After)"
    )
    return JSONResponse(
        {"ok": False, "error": message}, 503, headers={"Retry-After": str(retry_after)}
    )


async def _body(request: Request, limit: int) -> bytes:
    def too_large(declared: int | None) -> Rejected:
        setting = "OCEAN__LIVE_EVENTS__MAX_BODY_BYTES"
        if declared is not None:
            return Rejected(413, f"the body is {declared} bytes; the limit is {limit} ({setting})")
        return Rejected(413, f"the body is over the limit of {limit} bytes ({setting})")

    return await read_capped(request, limit, too_large)
