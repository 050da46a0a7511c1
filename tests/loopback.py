"""Helpers for tests that run real servers on loopback."""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import subprocess
import time
from collections.abc import AsyncIterator, Callable, Iterator
from typing import TypeVar

import httpx
import uvicorn
from starlette.types import ASGIApp

T = TypeVar("T")


def free_port() -> int:
    """A loopback port free now, for a server started after. Under pytest-xdist, one of the
    worker's own share of them (``(port // 2) % workers``, as Linux hands out odd ports
    first): a port probed free is closed again, and another worker's probe could be handed
    it before this worker's server binds it."""
    workers = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))
    worker = int(os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw") or 0)
    with contextlib.ExitStack() as probes:
        while True:  # a port not the worker's is held open meanwhile, not handed out again
            probe = probes.enter_context(socket.socket())
            probe.bind(("127.0.0.1", 0))
            port = int(probe.getsockname()[1])
            if port // 2 % workers == worker:
                return port


@contextlib.asynccontextmanager
async def served(app: ASGIApp, *, log_level: str = "warning") -> AsyncIterator[str]:
    """``app`` served by uvicorn on a free loopback port (its base URL), stopped after."""
    port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level=log_level)
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


def until(check: Callable[[], T | None], seconds: float = 20.0) -> T:
    """Call ``check`` until it returns something truthy (HTTP errors count as not yet)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            value = check()
            if value:
                return value
        except httpx.HTTPError:
            pass
        time.sleep(0.05)
    raise AssertionError(f"timed out after {seconds} s waiting for {check}")


@contextlib.contextmanager
def reaped(process: subprocess.Popen[bytes]) -> Iterator[subprocess.Popen[bytes]]:
    """The process, killed on the way out if the test left it running."""
    try:
        yield process
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
