"""Live-event throughput and latency: POST to entity visible in the catalog.

Usage: .venv/bin/python bench/live_events.py [--rate 1200] [--seconds 10] [--queues sqlite,redis]

For each queue backend it starts ``ocean sail integrations/fake`` (WEBHOOKS_ONLY listener,
a fresh embedded catalog, signed events) and POSTs signed ``person`` events to
``/integration/person`` at ``--rate`` events/s for ``--seconds`` from a client in this
process, one new person per event. Latency is the entity's ``updatedAt`` in the catalog
minus the moment its POST was sent (same clock, millisecond precision); throughput is
events over the time from the first POST to the last entity visible. Target: at least
1,000 events/s sustained with p99 under 100 ms on 2 cores.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import multiprocessing
import os
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import httpx

from ocean.live.signature import sign

ROOT = Path(__file__).resolve().parents[1]
SECRET = "bench-secret"
SENDERS = 8
"""Concurrent connections: httpx slows down sharply with many more on one event loop."""


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _start(catalog: Path, port: int, queue: str) -> subprocess.Popen[bytes]:
    env = os.environ | {
        "OCEAN__EVENT_LISTENER__TYPE": "WEBHOOKS_ONLY",
        "OCEAN__INTEGRATION__CONFIG__WEBHOOK_SECRET": SECRET,
        "OCEAN__INTEGRATION__IDENTIFIER": f"bench-{uuid.uuid4().hex[:8]}",
        "OCEAN__EVENT_WORKERS_COUNT": "8",
    }
    if queue == "redis":
        env["OCEAN__LIVE_EVENTS__QUEUE_URL"] = "redis://127.0.0.1:6379/0"
    if queue == "sqlite-own-file":
        env["OCEAN__LIVE_EVENTS__QUEUE_URL"] = f"sqlite:///{catalog.with_suffix('.events.db')}"
    command = [sys.executable, *os.environ.get("BENCH_PYTHON_ARGS", "").split(), "-m", "ocean", "sail", str(ROOT / "integrations" / "fake"),
               "--catalog", f"sqlite:///{catalog}", "--port", str(port), "--quiet"]  # fmt: skip
    return subprocess.Popen(command, env=env)


def _person(n: int) -> bytes:
    person = {"id": f"live-{n}", "first_name": "Ada", "last_name": "Lovelace",
              "email": f"ada{n}@example.com", "age": 36, "status": "WORKING", "bio": "x" * 200,
              "team_id": "team-0", "office_id": "office-0"}  # fmt: skip
    return json.dumps({"person": person}).encode()


async def _blast(base: str, rate: float, seconds: float, me: int, clients: int) -> dict[str, float]:
    """POST at ``rate`` per second from SENDERS senders (each waits for its event's slot);
    returns each accepted person's send time (epoch seconds)."""
    sent: dict[str, float] = {}
    numbers = iter(range(int(rate * seconds)))  # this client's share of the events
    url = f"{base}/integration/person"
    limits = httpx.Limits(max_connections=SENDERS, max_keepalive_connections=SENDERS)
    async with httpx.AsyncClient(limits=limits, timeout=30) as client:
        started = time.perf_counter()

        async def sender() -> None:
            for n in numbers:
                await asyncio.sleep(max(0.0, started + n / rate - time.perf_counter()))
                body = _person(n * clients + me)
                headers = {"x-hub-signature-256": sign(SECRET, body)}
                posted = time.time()
                try:
                    response = await client.post(url, content=body, headers=headers)
                except httpx.HTTPError:
                    continue
                if response.status_code == 202:
                    sent[f"live-{n * clients + me}"] = posted

        await asyncio.gather(*(sender() for _ in range(SENDERS)))
    return sent


def _visible(catalog: Path) -> dict[str, float]:
    db = sqlite3.connect(catalog)
    rows = db.execute(
        "SELECT identifier, updated_at FROM entities WHERE blueprint = 'fakePerson' "
        "AND identifier LIKE 'live-%'"
    ).fetchall()
    db.close()
    return {i: dt.datetime.fromisoformat(u.replace("Z", "+00:00")).timestamp() for i, u in rows}


def run(queue: str, rate: int, seconds: float, clients: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        catalog, port = Path(tmp) / "catalog.db", _free_port()
        process = _start(catalog, port, queue)
        base = f"http://127.0.0.1:{port}"
        try:
            _wait_ready(base)
            with multiprocessing.Pool(clients) as pool:
                shares = pool.starmap(
                    _client, [(base, rate / clients, seconds, c, clients) for c in range(clients)]
                )
            sent = {k: v for share in shares for k, v in share.items()}
            visible = _wait_visible(catalog, len(sent))
        finally:
            process.terminate()
            process.wait(timeout=20)
    failed = int(rate * seconds) - len(sent)
    latencies = sorted(max(0.0, visible[k] - sent[k]) * 1000 for k in sent)
    span = max(visible.values()) - min(sent.values())
    p50, p99 = statistics.median(latencies), latencies[int(len(latencies) * 0.99) - 1]
    print(
        f"{queue:>7} {len(sent):>7} {len(sent) / span:>9.0f} {p50:>8.1f} {p99:>8.1f} {latencies[-1]:>8.1f} {failed:>7}"
    )


def _client(base: str, rate: float, seconds: float, client: int, clients: int) -> dict[str, float]:
    """One client process (on uvloop when installed): one Python process cannot offer
    much more than 1,000 signed POSTs a second."""
    blast = _blast(base, rate, seconds, client, clients)
    try:
        import uvloop
    except ImportError:
        return asyncio.run(blast)
    return uvloop.run(blast)


def _wait_ready(base: str) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/health").status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise SystemExit("ocean sail did not start")


def _wait_visible(catalog: Path, count: int) -> dict[str, float]:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        visible = _visible(catalog)
        if len(visible) >= count:
            return visible
        time.sleep(0.2)
    raise SystemExit(f"only {len(_visible(catalog))} of {count} events became visible")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rate", type=int, default=1200)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--queues", default="sqlite,redis")
    parser.add_argument("--clients", type=int, default=2, help="client processes")
    args = parser.parse_args()
    print(f"target rate {args.rate}/s for {args.seconds:g} s")
    print(
        f"{'queue':>7} {'events':>7} {'events/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8} {'refused':>7}"
    )
    for queue in args.queues.split(","):
        run(queue, args.rate, args.seconds, args.clients)


if __name__ == "__main__":
    main()
