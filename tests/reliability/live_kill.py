"""Live events through a real ``ocean sail`` (WEBHOOKS_ONLY, the fake integration) killed -9
while events wait: after a restart every accepted event is applied, the last one of each key
last. Shared by the reliability tests and ``bench/faults.py``."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

import httpx

from ocean.store.open import open_store
from tests.loopback import free_port, until
from tests.reliability.kill_runs import FAKE


@dataclass(frozen=True)
class LiveKillRun:
    accepted: int
    refused: int
    wrong_keys: int
    """Keys whose entity does not hold the last accepted event's value."""


def _start(
    catalog: Path, port: int, queue_url: str | None, identifier: str
) -> subprocess.Popen[bytes]:
    env = os.environ | {
        "OCEAN__EVENT_LISTENER__TYPE": "WEBHOOKS_ONLY",
        "OCEAN__INTEGRATION__IDENTIFIER": identifier,
    }
    if queue_url:
        env["OCEAN__LIVE_EVENTS__QUEUE_URL"] = queue_url
    command = [sys.executable, "-m", "ocean", "sail", str(FAKE), "--catalog", str(catalog),
               "--port", str(port), "--quiet"]  # fmt: skip
    log = catalog.parent / f"sail-{port}-{time.monotonic_ns()}.log"
    with log.open("wb") as errors:
        process = subprocess.Popen(command, env=env, cwd=catalog.parent, stderr=errors)

    def healthy() -> bool:
        if process.poll() is not None:
            raise AssertionError(
                f"ocean sail exited {process.returncode}: {log.read_text()[-2000:]}"
            )
        return httpx.get(f"http://127.0.0.1:{port}/health").status_code == 200

    until(healthy, seconds=60)
    return process


def _send(port: int, key: str, age: int) -> bool:
    person = {"id": key, "first_name": "P", "last_name": key, "email": f"{key}@x", "age": age}
    try:
        answer = httpx.post(
            f"http://127.0.0.1:{port}/integration/person",
            content=json.dumps({"person": person}).encode(),
            timeout=5,
        )
    except httpx.HTTPError:
        return False
    return answer.status_code == 202


async def _ages(catalog: Path) -> dict[str, object]:
    store = await open_store(str(catalog))
    try:
        return {
            e["identifier"]: e.get("properties", {}).get("age")
            async for e in store.iter_entities("fakePerson")
        }
    finally:
        await store.close()


async def kill_while_events_wait(
    folder: Path, *, events: int, keys: int, queue_url: str | None = None
) -> LiveKillRun:
    """Send ``events`` events over ``keys`` keys, killing the process -9 halfway and starting
    it again; then wait for every key to show its last accepted value."""
    catalog, port, identifier = folder / "catalog.db", free_port(), f"kill-{uuid.uuid4().hex[:8]}"
    last: dict[str, int] = {}
    refused = 0
    process = _start(catalog, port, queue_url, identifier)
    try:
        for number in range(events):
            if number == events // 2:
                os.kill(process.pid, signal.SIGKILL)
                process.wait()
                process = _start(catalog, port, queue_url, identifier)
            key = f"k{number % keys}"
            if _send(port, key, number):
                last[key] = number
            else:
                refused += 1

        async def settled() -> bool:
            ages = await _ages(catalog)
            return all(ages.get(key) == age for key, age in last.items())

        await _until_async(settled)
        ages = await _ages(catalog)
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    wrong = sum(1 for key, age in last.items() if ages.get(key) != age)
    return LiveKillRun(accepted=events - refused, refused=refused, wrong_keys=wrong)


async def _until_async(check: Callable[[], Awaitable[bool]], seconds: float = 30.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and not await check():
        await asyncio.sleep(0.1)
