"""A serving ``ocean sail`` started with a low soft limit of open files raises it to the
hard limit, so that a burst of senders is answered rather than cut off unanswered (uvloop
closes a connection it cannot accept, logging nothing); a hard limit too low to help is a
warning at start naming it."""

from __future__ import annotations

import asyncio
import json
import os
import resource
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import httpx

from tests.loopback import free_port, reaped

FAKE = Path(__file__).resolve().parents[2] / "integrations" / "fake"
ROOT = FAKE.parents[1]


def _limited(soft: int, hard: int) -> Callable[[], None]:
    return lambda: resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


async def _serving(client: httpx.AsyncClient) -> None:
    for _ in range(300):
        try:
            if (await client.get("/ready")).status_code == 200:
                return
        except httpx.TransportError:
            pass
        await asyncio.sleep(0.1)
    raise AssertionError("the sail did not start serving")


def _sail(tmp_path: Path, port: int, soft: int, hard: int) -> subprocess.Popen[bytes]:
    env = os.environ | {"OCEAN__EVENT_LISTENER__TYPE": "WEBHOOKS_ONLY", "PYTHONPATH": str(ROOT)}
    command = [sys.executable, "-m", "ocean", "sail", str(FAKE), "--catalog",
               str(tmp_path / "catalog.db"), "--port", str(port)]  # fmt: skip
    return subprocess.Popen(command, env=env, cwd=tmp_path, stderr=subprocess.PIPE,
                            preexec_fn=_limited(soft, hard))  # fmt: skip


async def test_a_burst_of_senders_is_answered_under_a_low_soft_limit_of_open_files(
    tmp_path: Path,
) -> None:
    port = free_port()
    process = _sail(tmp_path, port, 64, 4096)
    with reaped(process):
        limits = Path(f"/proc/{process.pid}/limits")
        limits_ = httpx.Limits(max_connections=300, max_keepalive_connections=0)
        async with httpx.AsyncClient(
            base_url=f"http://127.0.0.1:{port}", limits=limits_, timeout=60
        ) as client:
            await _serving(client)

            async def post(i: int) -> int:
                person = {"id": f"p-{i}", "first_name": "A", "last_name": "L",
                          "email": f"p{i}@x.io", "age": 30}  # fmt: skip
                body = json.dumps({"person": person}).encode()
                try:
                    return (await client.post("/integration/person", content=body)).status_code
                except httpx.TransportError:  # cut off unanswered
                    return 0

            answers = await asyncio.gather(*(post(i) for i in range(300)))
            lines = limits.read_text().splitlines() if limits.exists() else []
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=20)

    assert answers.count(202) == 300, sorted(set(answers))
    for line in (line for line in lines if line.startswith("Max open files")):
        assert line.split()[3] == "4096", line  # the soft limit, raised
    assert b"RLIMIT_NOFILE" not in stderr


async def test_a_hard_limit_too_low_to_serve_is_a_warning_naming_it(tmp_path: Path) -> None:
    port = free_port()
    process = _sail(tmp_path, port, 64, 64)
    with reaped(process):
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
            await _serving(client)
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=20)

    said = stderr.decode()
    assert "may have only 64 files open (RLIMIT_NOFILE, its hard limit 64)" in said, said
    assert "ulimit -n" in said
