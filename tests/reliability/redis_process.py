"""A redis-server of a test's own: started on a free loopback port, stopped by its PID."""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
from pathlib import Path

import redis.asyncio as redis
from redis.exceptions import RedisError

from tests.loopback import free_port

REDIS_SERVER = shutil.which("redis-server")


class RedisProcess:
    """``persistent``: an append-only file in ``folder`` (so a restart keeps the data);
    otherwise nothing is saved and a restart comes back empty."""

    def __init__(self, folder: Path, *, persistent: bool) -> None:
        self.folder, self.persistent = folder, persistent
        self.port = free_port()
        self._process: asyncio.subprocess.Process | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    @property
    def pid(self) -> int:
        assert self._process is not None, "not started"
        return self._process.pid

    async def start(self) -> None:
        """Start it (again, on the same port and folder) and wait until it answers."""
        assert REDIS_SERVER is not None
        self.folder.mkdir(parents=True, exist_ok=True)
        arguments = ["--port", str(self.port), "--bind", "127.0.0.1", "--save", ""]
        arguments += ["--appendonly", "yes" if self.persistent else "no"]
        arguments += ["--dir", str(self.folder), "--daemonize", "no", "--loglevel", "warning"]
        self._process = await asyncio.create_subprocess_exec(
            REDIS_SERVER,
            *arguments,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL,
        )
        client = redis.Redis.from_url(self.url, socket_connect_timeout=0.2)
        try:
            async with asyncio.timeout(10):
                while True:
                    try:
                        if await client.ping():
                            return
                    except (RedisError, OSError):
                        await asyncio.sleep(0.02)
        finally:
            await client.aclose()

    async def kill(self) -> None:
        """SIGKILL by its PID: no shutdown, no last save."""
        if self._process is None or self._process.returncode is not None:
            return
        os.kill(self.pid, signal.SIGKILL)
        await self._process.wait()
