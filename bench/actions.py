"""Action runs through a real ``ocean catalog serve`` (SQLite): runs per second from
trigger to SUCCESS with a no-op executor, and trigger-to-start latency (p50, p99).

    python bench/actions.py [--runs 500] [--replicas 1] [--workers 3] [--poll 0.1]

The executor runs in this process (one execution manager per replica, each its own API
client); runs are triggered over HTTP by another client, all at once for the throughput
figure and one at a time (idle system) for the latency figure, which the poll interval
bounds: an idle manager looks for runs every ``--poll`` seconds.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from ocean.actions import Executor, Run
from ocean.actions.catalog import ActionsCatalog
from ocean.actions.manager import ExecutionManager, ManagerSettings
from ocean.actions.open import actions_of
from ocean.store.port.store import PortAPIStore

ACTION = {
    "identifier": "noop",
    "title": "No-op",
    "invocationMethod": {
        "type": "INTEGRATION_ACTION",
        "installationId": "bench",
        "integrationActionType": "noop",
    },
}


class NoOp(Executor):
    ACTION_NAME = "noop"

    def __init__(self) -> None:
        self.started: dict[str, float] = {}

    async def perform(self, run: Run) -> None:
        self.started[run.id] = time.perf_counter()


def serve(folder: Path) -> tuple[str, str, str, subprocess.Popen[bytes]]:
    store = str(folder / "catalog.db")
    command = [sys.executable, "-m", "ocean", "catalog", "credentials", "create", "bench",
               "--role", "admin", "--catalog", store]  # fmt: skip
    created = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    values = dict(line.split("=", 1) for line in created.split() if "=" in line)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "ocean",
            "catalog",
            "serve",
            "--catalog",
            store,
            "--port",
            str(port),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    for _ in range(200):
        try:
            httpx.get(f"{base}/openapi.json", timeout=1)
            break
        except httpx.HTTPError:
            time.sleep(0.05)
    return base, values["OCEAN__PORT__CLIENT_ID"], values["OCEAN__PORT__CLIENT_SECRET"], server


async def _until_done(catalog: ActionsCatalog, count: int) -> None:
    while len(await catalog.list_runs(active=False, limit=1000)) < count:
        await asyncio.sleep(0.01)


async def bench(args: argparse.Namespace, base: str, client_id: str, secret: str) -> None:
    clients = [PortAPIStore.connect(base, client_id, secret) for _ in range(args.replicas + 1)]
    users = actions_of(clients[0])
    await users.save_action(ACTION, replace=False)
    settings = ManagerSettings(workers_count=args.workers, poll_check_interval_seconds=args.poll)
    executors = [NoOp() for _ in range(args.replicas)]
    stop = asyncio.Event()
    managers = [
        asyncio.create_task(
            ExecutionManager(actions_of(c), "bench", {"noop": e}, settings).run(stop)
        )
        for c, e in zip(clients[1:], executors, strict=True)
    ]
    began = time.perf_counter()
    await asyncio.gather(*(users.trigger("noop", {"i": i}) for i in range(args.runs)))
    await _until_done(users, args.runs)
    elapsed = time.perf_counter() - began
    print(f"throughput: {args.runs} runs trigger->SUCCESS in {elapsed:.2f} s = "
          f"{args.runs / elapsed:.0f} runs/s ({args.replicas} replica(s), {args.workers} workers)")  # fmt: skip

    latencies = []
    for i in range(args.samples):
        sent = time.perf_counter()
        run = await users.trigger("noop", {"latency": i})
        while not any(run["id"] in e.started for e in executors):
            await asyncio.sleep(0.001)
        start = next(e.started[run["id"]] for e in executors if run["id"] in e.started)
        latencies.append((start - sent) * 1000)
    cuts = statistics.quantiles(latencies, n=100)
    print(f"trigger->start latency over {args.samples} idle runs (poll every {args.poll:g} s): "
          f"p50 {cuts[49]:.1f} ms, p99 {cuts[98]:.1f} ms")  # fmt: skip
    stop.set()
    await asyncio.gather(*managers)
    for client in clients:
        await client.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=500)
    parser.add_argument("--samples", type=int, default=100)
    parser.add_argument("--replicas", type=int, default=1)
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--poll", type=float, default=0.1)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        base, client_id, secret, server = serve(Path(folder))
        try:
            asyncio.run(bench(args, base, client_id, secret))
        finally:
            server.terminate()
            server.wait()


if __name__ == "__main__":
    os.environ.setdefault("OCEAN__LOG_LEVEL", "WARNING")
    main()
