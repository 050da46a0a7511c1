"""Writes that reach the server after their sender stopped waiting are refused (see
:mod:`ocean.store.port.deadline`): pure ASGI middleware, before the token is checked."""

from __future__ import annotations

import time

from starlette.types import ASGIApp, Receive, Scope, Send

from ocean.server.responses import error
from ocean.store.port.deadline import DEADLINE_HEADER, READS, passed

_HEADER = DEADLINE_HEADER.lower().encode()


class Deadlines:
    def __init__(self, app: ASGIApp) -> None:
        self._app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope.get("method", "GET") not in READS:
            deadline = next((v for k, v in scope["headers"] if k == _HEADER), None)
            if deadline is not None and passed(deadline.decode("latin-1"), time.time()):
                late = error(
                    503,
                    "deadline_passed",
                    "the write reached the catalog after its sender stopped waiting for "
                    f"the answer ({DEADLINE_HEADER}: {deadline.decode('latin-1')}); nothing "
                    "was written: a sender still waiting sends it again",
                )
                await late(scope, receive, send)
                return
        await self._app(scope, receive, send)
