"""One acceptor process (``python -m ocean.live.acceptor SPEC``), started by
:mod:`ocean.live.acceptors`: it serves the integration's port beside its siblings, checks
and queues live events as the integration's own process would (the same route, the same
answers), and hands every other request to that process over loopback.

It loads the integration folder but runs none of its hooks: only the processors' checks
(``should_process_event``, ``authenticate``, ``validate_payload``, ``group_key``) run here.
An event for a path it has no processor for goes to that process too (its ``on_start``
hooks may have registered one).
It counts the events it takes and tells the sail every half second (:mod:`ocean.live.told`).
It stops when its parent does: the parent holds the only write end of the ``lifeline``
pipe, whose end of file (the parent stopped, or was killed) ends the acceptor.
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import sys
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from starlette.types import ASGIApp, Receive, Scope, Send

from ocean.listen.http import DirectRoute, Front
from ocean.live.open import open_queue
from ocean.live.process import Checks
from ocean.live.routes import live_event_routes
from ocean.live.sqlite_queue import SQLiteEventQueue
from ocean.live.told import ARRIVED, READY, EventTally, tell, tell_every
from ocean.monitor.logs import configure_logging
from ocean.process import run_process, tune_interpreter
from ocean.sail import prepare

TELL_SECONDS = 0.5
"""How often an acceptor tells the sail what it counted (its ``/metrics`` lags as much)."""
_HOP = {b"connection", b"keep-alive", b"transfer-encoding", b"upgrade", b"host"}


class Proxy:
    """Hands a request to the integration's own process and streams its answer back."""

    def __init__(self, base: str) -> None:
        self._client = httpx.AsyncClient(base_url=base, timeout=None)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        body = bytearray()
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        headers = [(k, v) for k, v in scope["headers"] if k not in _HOP]
        headers.append((b"x-forwarded-for", (scope.get("client") or ("",))[0].encode()))
        target = scope["raw_path"] + (
            b"?" + scope["query_string"] if scope["query_string"] else b""
        )
        request = self._client.build_request(
            scope["method"], target.decode("latin-1"), headers=headers, content=bytes(body)
        )
        response = await self._client.send(request, stream=True)
        try:
            kept = [(k, v) for k, v in response.headers.raw if k.lower() not in _HOP]
            await send({"type": "http.response.start", "status": response.status_code,
                        "headers": kept})  # fmt: skip
            async for chunk in response.aiter_raw():
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
            await send({"type": "http.response.body", "body": b""})
        finally:
            await response.aclose()

    async def close(self) -> None:
        await self._client.aclose()


async def serve(spec: dict[str, Any]) -> None:
    """Serve the listening socket the parent passed until the lifeline ends or a signal."""
    sail = prepare(Path(spec["folder"]), environ=os.environ, overrides={})
    integration = sail.folder.integration
    queue = await open_queue(spec["queue"], spec["identifier"], consumer=spec["consumer"])
    if isinstance(queue, SQLiteEventQueue):

        def stored() -> None:
            tell(spec["notify"], ARRIVED)

        queue.stored = stored
    tally = EventTally()
    checks = Checks(integration, sail.folder.mapping)
    routes = live_event_routes(
        checks, queue, tally, max_body_bytes=spec["max_body"], retry_after=spec["retry_after"]
    )
    proxy = Proxy(f"http://127.0.0.1:{spec['internal']}")
    routes = [
        DirectRoute(r.path, KnownHere(r.app, checks, proxy), methods=["POST"]) for r in routes
    ]
    app = Front(proxy, routes, integration.http_routes())
    server = uvicorn.Server(
        uvicorn.Config(  # its log through the root logger's handlers, which mask secrets
            app,
            log_level="warning",
            access_log=False,  # INFO lines, dropped at WARNING, but each formatted first
            lifespan="off",
            timeout_graceful_shutdown=5,
            log_config=None,
        )
    )
    listening = socket.socket(fileno=spec["socket"])
    loop = asyncio.get_running_loop()
    loop.add_reader(spec["lifeline"], lambda: setattr(server, "should_exit", True))
    serving = asyncio.create_task(server.serve(sockets=[listening]))
    telling = asyncio.create_task(tell_every(tally, spec["notify"], TELL_SECONDS))
    try:
        while not server.started and not serving.done():
            await asyncio.sleep(0.01)
        tell(spec["notify"], READY)
        await serving
    finally:
        telling.cancel()
        await asyncio.gather(telling, return_exceptions=True)  # and tells the last counts
        loop.remove_reader(spec["lifeline"])
        await proxy.close()
        await queue.close()


class KnownHere:
    """The live-event route for the paths this process has processors for; an event for
    any other is handed to the integration's own process, which may have registered
    processors for it in an ``on_start`` hook (hooks run only there), and otherwise
    answers 404 as this process would."""

    def __init__(self, app: ASGIApp, checks: Checks, proxy: ASGIApp) -> None:
        self._app, self._checks, self._proxy = app, checks, proxy

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        known = self._checks.route_of("/" + scope["path_params"]["path"]) is not None
        await (self._app if known else self._proxy)(scope, receive, send)


def main() -> None:
    spec = json.loads(sys.argv[1])
    configure_logging(spec["log_level"])
    tune_interpreter()
    os.nice(spec["niceness"])
    run_process(serve(spec))


if __name__ == "__main__":
    main()
