"""Live-event throughput and latency: POST to entity visible in the catalog.

Usage: .venv/bin/python bench/live_events.py [--rate 5000] [--seconds 10]
       [--queues ceiling,sqlite,redis] [--clients 2] [--connections 32] [--repeat 1]
       [--acceptors 0]

``ceiling`` measures the load generator alone: it POSTs as fast as it can (no rate limit)
to a trivial loopback server (one process answering 202 to every request without reading
it further), so its events/s is what the generator can offer on this machine while a
server shares the cores. ``sqlite`` and ``redis`` start ``ocean sail integrations/fake``
(WEBHOOKS_ONLY listener, a fresh embedded catalog, signed events; the queue in SQLite
beside the catalog, or in Redis at 127.0.0.1:6379) and POST signed ``person`` events to
``/integration/person`` at ``--rate`` events/s for ``--seconds``, one new person per
event, from ``--clients`` processes with ``--connections`` keep-alive connections each
(one request at a time per connection: no pipelining).

The generator is a minimal HTTP/1.1 client on raw asyncio transports (uvloop), its
requests signed before the clock starts: httpx costs about 1 ms of CPU per request,
which capped the earlier generator near 1,300 events/s.

Columns: ``sent/s`` is the rate the generator achieved (events over the time from the
first POST to the last answer); ``events/s`` is events over the time from the first POST
to the last entity visible in the catalog; ``cpu µs`` is the CPU time the server's
processes (the integration's and its catalog's) spent per event, ``main µs`` the
integration's process alone: its event loop does the accepting and applying, so
1,000,000 / ``main µs`` is the most it can take on one free core; latency is each entity's ``updatedAt`` minus
the moment its POST was sent (same clock, millisecond precision). ``--acceptors N`` runs
the sail with ``OCEAN__LIVE_EVENTS__ACCEPTORS=N``: N acceptor processes take the POSTs and
the integration's process only applies (``cpu µs`` counts them, ``main µs`` does not; a
comma-separated list, such as ``0,2``, measures each in turn). Targets on 2 cores:
the generator over 10,000/s, SQLite at least 5,000/s and Redis at least 3,000/s with
p99 under 100 ms.
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
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import cast

from ocean.live.signature import sign

ROOT = Path(__file__).resolve().parents[1]
SECRET = "bench-secret"
PATH = "/integration/person"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _start(catalog: Path, port: int, queue: str, acceptors: int) -> subprocess.Popen[bytes]:
    env = os.environ | {
        "OCEAN__LIVE_EVENTS__ACCEPTORS": str(acceptors),
        "OCEAN__EVENT_LISTENER__TYPE": "WEBHOOKS_ONLY",
        "OCEAN__INTEGRATION__CONFIG__WEBHOOK_SECRET": SECRET,
        "OCEAN__INTEGRATION__IDENTIFIER": f"bench-{uuid.uuid4().hex[:8]}",
        "OCEAN__EVENT_WORKERS_COUNT": os.environ.get("BENCH_WORKERS", "8"),
    }
    if queue == "redis":
        env["OCEAN__LIVE_EVENTS__QUEUE_URL"] = "redis://127.0.0.1:6379/0"
    command = [sys.executable, *os.environ.get("BENCH_PYTHON_ARGS", "").split(), "-m", "ocean", "sail", str(ROOT / "integrations" / "fake"),
               "--catalog", f"sqlite:///{catalog}", "--port", str(port), "--quiet"]  # fmt: skip
    return subprocess.Popen(command, env=env)


def _person(n: int) -> bytes:
    person = {"id": f"live-{n}", "first_name": "Ada", "last_name": "Lovelace",
              "email": f"ada{n}@example.com", "age": 36, "status": "WORKING", "bio": "x" * 200,
              "team_id": "team-0", "office_id": "office-0"}  # fmt: skip
    return json.dumps({"person": person}).encode()


def _request(port: int, body: bytes) -> bytes:
    """One signed POST, as raw HTTP/1.1 bytes."""
    head = (
        f"POST {PATH} HTTP/1.1\r\nhost: 127.0.0.1:{port}\r\ncontent-type: application/json\r\n"
        f"x-hub-signature-256: {sign(SECRET, body)}\r\ncontent-length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


def _answer(buffer: bytearray) -> tuple[int, int] | None:
    """The status and length of the first whole response in ``buffer``, if there is one."""
    end = buffer.find(b"\r\n\r\n")
    if end < 0:
        return None
    head = bytes(buffer[:end]).lower()
    at = head.find(b"content-length:")
    length = 0
    if at >= 0:
        stop = head.find(b"\r\n", at)
        length = int(head[at + 15 : stop if stop >= 0 else end])
    if len(buffer) < end + 4 + length:
        return None
    return int(buffer[9:12]), end + 4 + length


class _Connection(asyncio.Protocol):
    """One keep-alive connection sending one request at a time."""

    def __init__(self) -> None:
        self._buffer = bytearray()
        self._answered: asyncio.Future[int] | None = None
        self._transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = cast(asyncio.Transport, transport)  # uvloop's is not a subclass

    def data_received(self, data: bytes) -> None:
        self._buffer += data
        answer = _answer(self._buffer)
        if answer is not None and self._answered is not None:
            del self._buffer[: answer[1]]
            self._answered.set_result(answer[0])

    def connection_lost(self, exc: Exception | None) -> None:
        if self._answered is not None and not self._answered.done():
            self._answered.set_exception(ConnectionError("the server closed the connection"))

    async def send(self, request: bytes) -> int:
        assert self._transport is not None
        self._answered = asyncio.get_running_loop().create_future()
        self._transport.write(request)
        return await self._answered


@dataclass
class _Share:
    """What one client process sent: each accepted person's send time, and its timing."""

    sent: dict[str, float]
    first: float
    last: float


async def _blast(
    port: int, rate: float, count: int, me: int, clients: int, connections: int
) -> _Share:
    """POST this client's ``count`` events at ``rate`` per second (as fast as possible
    when ``rate`` is 0) over ``connections`` connections."""
    numbers = [n * clients + me for n in range(count)]
    requests = [_request(port, _person(n)) for n in numbers]
    loop = asyncio.get_running_loop()
    links = [
        await loop.create_connection(_Connection, "127.0.0.1", port) for _ in range(connections)
    ]
    sent: dict[str, float] = {}
    turns: Iterator[int] = iter(range(count))
    started = time.perf_counter()
    first = time.time()

    async def sender(connection: _Connection) -> None:
        for turn in turns:
            due = started + turn / rate - time.perf_counter() if rate else 0.0
            if due > 0.0005:
                await asyncio.sleep(due)
            posted = time.time()
            if await connection.send(requests[turn]) == 202:
                sent[f"live-{numbers[turn]}"] = posted

    await asyncio.gather(*(sender(connection) for _, connection in links))
    last = time.time()
    for transport, _ in links:
        transport.close()
    return _Share(sent, first, last)


def _client(port: int, rate: float, count: int, me: int, clients: int, connections: int) -> _Share:
    """One client process, on uvloop when installed."""
    blast = _blast(port, rate, count, me, clients, connections)
    try:
        import uvloop
    except ImportError:
        return asyncio.run(blast)
    return uvloop.run(blast)


def _send(port: int, args: argparse.Namespace, rate: float) -> _Share:
    """All client processes' shares, merged (``rate`` 0: as fast as they can)."""
    count = int(args.rate * args.seconds) // args.clients
    jobs = [(port, rate / args.clients, count, c, args.clients, args.connections) for c in range(args.clients)]  # fmt: skip
    with multiprocessing.Pool(args.clients) as pool:
        shares = pool.starmap(_client, jobs)
    sent = {k: v for share in shares for k, v in share.sent.items()}
    return _Share(sent, min(s.first for s in shares), max(s.last for s in shares))


async def _trivial_server(port: int) -> None:
    """Answers 202 to each request (found by its blank line; bodies are not read)."""
    reply = (
        b"HTTP/1.1 202 Accepted\r\ncontent-length: 2\r\ncontent-type: application/json\r\n\r\n{}"
    )

    class Trivial(asyncio.Protocol):
        def connection_made(self, transport: asyncio.BaseTransport) -> None:
            self.transport = cast(asyncio.Transport, transport)

        def data_received(self, data: bytes) -> None:
            self.transport.write(reply * data.count(b"\r\n\r\n"))

    server = await asyncio.get_running_loop().create_server(Trivial, "127.0.0.1", port)
    async with server:
        await server.serve_forever()


def _serve_trivially(port: int) -> None:
    import uvloop

    uvloop.run(_trivial_server(port))


def ceiling(args: argparse.Namespace) -> list[float]:
    """The generator's own rate against a trivial server sharing the machine."""
    port = _free_port()
    server = multiprocessing.Process(target=_serve_trivially, args=(port,), daemon=True)
    server.start()
    _wait_port(port)
    try:
        share = _send(port, args, rate=0)
    finally:
        server.terminate()
        server.join()
    rate = len(share.sent) / (share.last - share.first)
    print(
        f"{'ceiling':>8} {len(share.sent):>7} {rate:>7.0f} {'':>9} {'':>8} {'':>8} {'':>8} {0:>7}"
    )
    return [rate]


def run(queue: str, args: argparse.Namespace, acceptors: int) -> list[float]:
    with tempfile.TemporaryDirectory() as tmp:
        catalog, port = Path(tmp) / "catalog.db", _free_port()
        process = _start(catalog, port, queue, acceptors)
        try:
            _wait_port(port)
            cpu = _cpu_seconds(process.pid), _cpu_seconds(process.pid, children=False)
            share = _send(port, args, rate=args.rate)
            visible = _wait_visible(catalog, len(share.sent))
            cpu = (
                _cpu_seconds(process.pid) - cpu[0],
                _cpu_seconds(process.pid, children=False) - cpu[1],
            )
        finally:
            process.terminate()
            process.wait(timeout=20)
    sent = share.sent
    refused = int(args.rate * args.seconds) // args.clients * args.clients - len(sent)
    latencies = sorted(max(0.0, visible[k] - sent[k]) * 1000 for k in sent)
    offered = len(sent) / (share.last - share.first)
    rate = len(sent) / (max(visible.values()) - share.first)
    p50, p99 = statistics.median(latencies), latencies[int(len(latencies) * 0.99) - 1]
    cpu_us, main_us = cpu[0] / len(sent) * 1e6, cpu[1] / len(sent) * 1e6
    label = f"{queue}+{acceptors}a" if acceptors else queue
    print(
        f"{label:>8} {len(sent):>7} {offered:>7.0f} {rate:>9.0f} {p50:>8.1f} {p99:>8.1f} {latencies[-1]:>8.1f} {refused:>7} {cpu_us:>7.0f} {main_us:>7.0f}"
    )
    return [rate, p50, p99, cpu_us, main_us]


def _cpu_seconds(pid: int, *, children: bool = True) -> float:
    """CPU time (user and system) of a process and (``children``) its descendants: the
    catalog's process; unlike rates, it hardly depends on what else the machine runs."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        below = Path(f"/proc/{pid}/task/{pid}/children").read_text().split() if children else []
    except OSError:
        return 0.0  # not Linux, or the process is gone
    own = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return own + sum(_cpu_seconds(int(child)) for child in below)


def _wait_port(port: int) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"nothing listens on port {port}")


def _visible(catalog: Path) -> dict[str, float]:
    db = sqlite3.connect(catalog)
    rows = db.execute(
        "SELECT identifier, updated_at FROM entities WHERE blueprint = 'fakePerson' "
        "AND identifier LIKE 'live-%'"
    ).fetchall()
    db.close()
    return {i: dt.datetime.fromisoformat(u.replace("Z", "+00:00")).timestamp() for i, u in rows}


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
    parser.add_argument("--rate", type=int, default=5000)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--queues", default="ceiling,sqlite,redis")
    parser.add_argument("--clients", type=int, default=2, help="client processes")
    parser.add_argument("--connections", type=int, default=32, help="per client process")
    parser.add_argument("--repeat", type=int, default=1, help="runs per queue (medians shown)")
    parser.add_argument("--acceptors", default="0", help="acceptor processes (a list: each)")
    args = parser.parse_args()
    print(f"target rate {args.rate}/s for {args.seconds:g} s, {args.clients} client processes")
    print(
        f"{'queue':>8} {'events':>7} {'sent/s':>7} {'events/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8} {'refused':>7} {'cpu µs':>7} {'main µs':>7}"
    )
    measures: dict[str, Callable[[int], list[float]]] = {
        "ceiling": lambda _: ceiling(args),
        "sqlite": lambda n: run("sqlite", args, n),
        "redis": lambda n: run("redis", args, n),
    }
    for queue in args.queues.split(","):
        for acceptors in [int(n) for n in args.acceptors.split(",")]:
            if queue == "ceiling" and acceptors:
                continue
            results = [measures[queue](acceptors) for _ in range(args.repeat)]
            if args.repeat > 1:
                medians = [statistics.median(column) for column in zip(*results, strict=True)]
                label = f"{queue}+{acceptors}a" if acceptors else queue
                shown = " ".join(f"{m:.1f}" for m in medians)
                print(f"{label:>8} median of {args.repeat}: {shown}")


if __name__ == "__main__":
    main()
