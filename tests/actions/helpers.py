"""Shared pieces of the action tests: an action definition, executors to run, and a
network between runners and the catalog server that fails or delays some requests."""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass, field
from typing import Any

from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ocean.actions import ActionFailedError, Executor, Run

INSTALLATION = "fake-actions"


def action(identifier: str = "rename_team", action_type: str = "rename_team") -> dict[str, Any]:
    return {
        "identifier": identifier,
        "title": "Rename a team",
        "trigger": {"type": "self-service", "operation": "DAY-2", "blueprintIdentifier": "team"},
        "invocationMethod": {
            "type": "INTEGRATION_ACTION",
            "installationId": INSTALLATION,
            "integrationActionType": action_type,
            "integrationActionExecutionProperties": {
                "team": "{{ .entity.identifier }}",
                "name": "{{ .inputs.name }}",
                "order": "{{ .inputs.order }}",
            },
        },
    }


class Recorder(Executor):
    """Records what it ran, in order; runs with a key ``team`` one after another."""

    ACTION_NAME = "rename_team"

    def __init__(self, seconds: float = 0.0, partition: bool = True) -> None:
        self.seconds, self.partition = seconds, partition
        self.started: list[str] = []
        self.orders: list[Any] = []
        self.running = 0
        self.most = 0

    async def partition_key(self, run: Run) -> str | None:
        return str(run.properties.get("team")) if self.partition else None

    async def perform(self, run: Run) -> None:
        self.started.append(run.id)
        self.running += 1
        self.most = max(self.most, self.running)
        try:
            await run.log(f"renaming {run.properties.get('team')} to {run.properties.get('name')}")
            await self.hold(run)
            self.orders.append(run.properties.get("order"))
            if run.properties.get("name") == "boom":
                raise RuntimeError("the team API refused the name")
            if run.properties.get("name") == "invalid":
                raise ActionFailedError("a team name must not be 'invalid'")
        finally:
            self.running -= 1

    async def hold(self, run: Run) -> None:
        """What running ``run`` takes: ``seconds``."""
        await asyncio.sleep(self.seconds)


async def wait_for(check: Any, seconds: float = 10.0) -> None:
    """Poll ``check`` (an async callable) until it is true."""
    deadline = asyncio.get_running_loop().time() + seconds
    while not await check():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("timed out waiting")
        await asyncio.sleep(0.02)


@dataclass
class Fault:
    """What the network does to the next ``times`` requests of ``method`` on a path that
    matches ``path``: answers ``status`` (503) in the server's place (``delay`` 0), or
    hands them to the server ``delay`` seconds after they arrived whole (a server slow to
    get to them), or, ``late``, answers ``status`` after ``delay`` (a server slow to fail)."""

    method: str
    path: str
    times: int = 1
    delay: float = 0.0
    status: int = 503
    error: str = "unavailable"
    message: str = "the network failed"
    late: bool = False
    arrived: list[float] = field(default_factory=list)
    """When each of them arrived (the event loop's clock)."""
    seen: asyncio.Event = field(default_factory=asyncio.Event)


class Faulty:
    """The catalog server's ASGI app behind a network with ``faults``."""

    def __init__(self, app: ASGIApp) -> None:
        self.app, self.faults = app, list[Fault]()
        self.answered: list[tuple[str, str, float]] = []
        """The requests the server answered: method, path and when they arrived (the event
        loop's clock)."""

    def add(self, fault: Fault) -> Fault:
        self.faults.append(fault)
        return fault

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        fault = self._fault(scope)
        if fault is None:
            arrived = asyncio.get_running_loop().time()
            await self.app(scope, receive, send)
            if scope["type"] == "http":
                self.answered.append((scope["method"], scope["path"], arrived))
            return
        fault.times -= 1
        fault.arrived.append(asyncio.get_running_loop().time())
        fault.seen.set()
        if fault.late:
            await asyncio.sleep(fault.delay)
        if not fault.delay or fault.late:
            body = {"ok": False, "error": fault.error, "message": fault.message}
            await JSONResponse(body, status_code=fault.status)(scope, receive, send)
            return
        messages = [await receive()]
        while messages[-1].get("more_body"):
            messages.append(await receive())
        await asyncio.sleep(fault.delay)  # the runner may have given up on it meanwhile

        async def replayed() -> Message:
            return messages.pop(0) if messages else {"type": "http.disconnect"}

        await self.app(scope, replayed, send)

    def _fault(self, scope: Scope) -> Fault | None:
        if scope["type"] != "http":
            return None
        for fault in self.faults:
            matches = fault.method == scope["method"] and re.fullmatch(fault.path, scope["path"])
            if fault.times > 0 and matches:
                return fault
        return None
