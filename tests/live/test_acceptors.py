"""``OCEAN__LIVE_EVENTS__ACCEPTORS=2``: a real ``ocean sail`` whose acceptor processes take
the live events on its port (SQLite and Redis queues) while it applies them; its own
routes still answer there; the acceptors end with it, even when it is killed -9."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx
import pytest
import redis

from ocean.live.signature import sign
from tests.loopback import free_port, reaped, until

FAKE = Path(__file__).resolve().parents[2] / "integrations" / "fake"
REDIS_URL = "redis://127.0.0.1:6379/0"
SECRET = "s3cret"


def _sail(
    tmp_path: Path, port: int, identifier: str, queue: str | None, stderr: int | None = None
) -> subprocess.Popen[bytes]:
    env = os.environ | {
        "OCEAN__EVENT_LISTENER__TYPE": "WEBHOOKS_ONLY",
        "OCEAN__INTEGRATION__CONFIG__WEBHOOK_SECRET": SECRET,
        "OCEAN__INTEGRATION__IDENTIFIER": identifier,
        "OCEAN__LIVE_EVENTS__ACCEPTORS": "2",
    }
    if queue is not None:
        env["OCEAN__LIVE_EVENTS__QUEUE_URL"] = queue
    command = [sys.executable, "-m", "ocean", "sail", str(FAKE), "--catalog",
               str(tmp_path / "catalog.db"), "--port", str(port), "--quiet"]  # fmt: skip
    return subprocess.Popen(command, env=env, cwd=tmp_path, stderr=stderr)


def _acceptors(pid: int) -> list[int]:
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    return [int(c) for c in children if b"ocean.live.acceptor" in _cmdline(int(c))]


def _cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


def _running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state not in ("Z", "X")


def _post(port: int, person: dict[str, object], secret: str = SECRET) -> httpx.Response:
    body = json.dumps({"person": person}).encode()
    headers = {"x-hub-signature-256": sign(secret, body), "connection": "close"}
    return httpx.post(f"http://127.0.0.1:{port}/integration/person", content=body, headers=headers)


def _metrics(port: int) -> str:
    return httpx.get(f"http://127.0.0.1:{port}/metrics").text


def _titles(catalog: Path) -> dict[str, str]:
    if not catalog.exists():
        return {}
    db = sqlite3.connect(catalog)
    try:
        rows = db.execute(
            "SELECT identifier, body FROM entities WHERE blueprint = 'fakePerson'"
        ).fetchall()
    except sqlite3.OperationalError:
        return {}
    finally:
        db.close()
    return {identifier: json.loads(body)["title"] for identifier, body in rows}


@pytest.mark.parametrize("queue", [None, REDIS_URL], ids=["sqlite-queue", "redis-queue"])
def test_a_sail_with_two_acceptors_accepts_and_applies_events(
    tmp_path: Path, queue: str | None
) -> None:
    port, identifier = free_port(), f"acceptors-{uuid.uuid4().hex[:8]}"
    process = _sail(tmp_path, port, identifier, queue)
    try:
        with reaped(process):
            until(lambda: httpx.get(f"http://127.0.0.1:{port}/health").status_code == 200)
            assert len(_acceptors(process.pid)) == 2
            unsigned = _post(port, {"id": "p-x", "first_name": "N"}, secret="wrong")
            assert unsigned.status_code == 401
            for n in range(20):  # a new connection each: spread over both acceptors
                person = {"id": f"p-{n % 4}", "first_name": f"v{n}", "last_name": "L",
                          "email": "a@x", "age": 36}  # fmt: skip
                assert _post(port, person).status_code == 202
            want = {f"p-{k}": f"v{16 + k} L" for k in range(4)}  # each key's last, in order
            until(lambda: _titles(tmp_path / "catalog.db") == want)
            counted = [  # the acceptors' counts reach the sail's /metrics (every 0.5 s)
                'ocean_live_events_total{outcome="applied",path="/person"} 20.0',
                'ocean_live_events_total{outcome="queued",path="/person"} 20.0',
                'ocean_live_events_total{outcome="rejected-401",path="/person"} 1.0',
            ]
            until(lambda: all(line in _metrics(port) for line in counted))
            acceptors = _acceptors(process.pid)
            process.send_signal(signal.SIGTERM)
            assert process.wait(timeout=20) == 0
            assert not any(_running(pid) for pid in acceptors)
    finally:
        if queue is not None:
            client = redis.Redis.from_url(queue)
            client.delete(*client.keys(f"ocean:{identifier}:*") or ["-"])
            client.close()


def test_killing_the_sail_leaves_no_acceptor_behind(tmp_path: Path) -> None:
    port = free_port()
    process = _sail(tmp_path, port, f"acceptors-{uuid.uuid4().hex[:8]}", None)
    with reaped(process):
        until(lambda: httpx.get(f"http://127.0.0.1:{port}/health").status_code == 200)
        acceptors = _acceptors(process.pid)
        assert len(acceptors) == 2
        process.kill()
        process.wait()
        deadline = time.monotonic() + 10
        while any(_running(pid) for pid in acceptors) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not any(_running(pid) for pid in acceptors)
        with pytest.raises(httpx.ConnectError):
            httpx.get(f"http://127.0.0.1:{port}/health")


def test_a_port_already_taken_stops_the_sail_naming_the_port_and_the_setting(
    tmp_path: Path,
) -> None:
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        sail = _sail(tmp_path, port, f"acc-{uuid.uuid4().hex[:8]}", None, subprocess.PIPE)
        try:
            _, err = sail.communicate(timeout=120)
        finally:
            if sail.poll() is None:
                sail.kill()
    message = err.decode()
    assert sail.returncode != 0
    assert f"127.0.0.1:{port}" in message and "OCEAN__LIVE_EVENTS__ACCEPTORS=0" in message


def test_an_acceptor_killed_stops_the_sail_with_a_failure_code(tmp_path: Path) -> None:
    """The sail stops so that its supervisor restarts the whole: a failure (non-zero), as
    systemd's ``Restart=on-failure`` or Docker's ``on-failure`` restart only those; every
    event acknowledged before is applied after the restart."""
    port, identifier = free_port(), f"acceptors-{uuid.uuid4().hex[:8]}"
    process = _sail(tmp_path, port, identifier, None, subprocess.PIPE)
    with reaped(process):
        until(lambda: httpx.get(f"http://127.0.0.1:{port}/health").status_code == 200)
        person = {"id": "p-1", "first_name": "v1", "last_name": "L", "email": "a@x", "age": 1}
        assert _post(port, person).status_code == 202
        os.kill(_acceptors(process.pid)[0], signal.SIGKILL)
        _, err = process.communicate(timeout=30)
        assert process.returncode != 0, err.decode()[-2000:]
        assert "an acceptor process exited" in err.decode()
    again = _sail(tmp_path, port, identifier, None)
    with reaped(again):
        until(lambda: httpx.get(f"http://127.0.0.1:{port}/health").status_code == 200)
        until(lambda: _titles(tmp_path / "catalog.db") == {"p-1": "v1 L"})
        again.send_signal(signal.SIGTERM)
        assert again.wait(timeout=20) == 0
