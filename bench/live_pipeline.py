"""Live events without sockets: the CPU an event costs in the sail's own code.

Usage: .venv/bin/python bench/live_pipeline.py [--events 20000] [--group 40] [--repeat 3]

``bench/live_events.py`` measures the whole: a load generator, uvicorn, the sail and its
catalog's process on two cores, so on a machine shared with other work its CPU per event
moves by 10% from run to run, and the batch sizes with it. Here one process (uvloop, the
sail's interpreter settings) opens the fake integration's live service as ``ocean sail``
does (its blueprints, the SQLite queue beside a fresh embedded catalog in its own process,
8 workers), then hands ``--events`` signed ``person`` events, ``--group`` at a time, to
the live-event route's ASGI app directly (the ASGI messages uvicorn would pass: no HTTP),
and waits until every one is applied. ``sail µs`` is this process's CPU (its threads
included) per event: the route's checks and puts, the queue, the workers, the mapping and
the catalog client; ``catalog µs`` the catalog's process. What uvicorn itself costs per
request (about 35 µs over a bare asyncio protocol on this machine) is not in either.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]  # this checkout's ocean, whatever is installed

from live_events import SECRET, _cpu_seconds, _person  # noqa: E402

from ocean.live.signature import sign  # noqa: E402

Headers = list[tuple[bytes, bytes]]


def _requests(count: int) -> list[tuple[Headers, bytes]]:
    """Each event's ASGI headers and body, as the load generator sends them."""
    requests = []
    for n in range(count):
        body = _person(n)
        headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                   (b"x-hub-signature-256", sign(SECRET, body).encode())]  # fmt: skip
        requests.append((headers, body))
    return requests


async def _post(app: Any, headers: Headers, body: bytes, statuses: list[int]) -> None:
    scope = {"type": "http", "method": "POST", "path": "/integration/person", "root_path": "",
             "raw_path": b"/integration/person", "query_string": b"", "headers": headers,
             "path_params": {"path": "person"}}  # fmt: skip
    messages = [{"type": "http.request", "body": body, "more_body": False}]

    async def receive() -> dict[str, Any]:
        return messages.pop() if messages else {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            statuses.append(message["status"])

    await app(scope, receive, send)


async def _run(events: int, group: int) -> tuple[float, float]:
    """CPU µs per event of this process and of the catalog's."""
    from prometheus_client import CollectorRegistry

    from ocean.defaults import sync_blueprints
    from ocean.live.service import LiveService
    from ocean.monitor.metrics import Metrics
    from ocean.sail import prepare
    from ocean.store.open import open_store

    catalog = f"sqlite:///{Path(tempfile.mkdtemp()) / 'catalog.db'}"
    environ = os.environ | {"OCEAN__INTEGRATION__CONFIG__WEBHOOK_SECRET": SECRET,
                            "OCEAN__EVENT_WORKERS_COUNT": "8"}  # fmt: skip
    sail = prepare(ROOT / "integrations" / "fake", environ=environ, overrides={"catalog": {"url": catalog}})  # fmt: skip
    store = await open_store(catalog, credentials=None, own_process=True)
    await sync_blueprints(store, sail.folder.blueprints)
    live = await LiveService.open(sail, store, Metrics(CollectorRegistry()))
    assert live is not None
    requests, statuses, stop = _requests(events), [], asyncio.Event()
    working = asyncio.create_task(live.run(stop))
    children = Path(f"/proc/{os.getpid()}/task/{os.getpid()}/children").read_text().split()
    started = time.process_time(), sum(_cpu_seconds(int(child)) for child in children)
    for first in range(0, events, group):
        batch = requests[first : first + group]
        await asyncio.gather(*(_post(live.routes[0].app, *request, statuses) for request in batch))
    while await live.queue.depth():
        await asyncio.sleep(0.005)
    ended = time.process_time(), sum(_cpu_seconds(int(child)) for child in children)
    assert statuses.count(202) == events and not await live.queue.dead(), "events were lost"
    stop.set()
    await working
    await live.close()
    await store.close()
    return (ended[0] - started[0]) / events * 1e6, (ended[1] - started[1]) / events * 1e6


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=20000)
    parser.add_argument("--group", type=int, default=40, help="events posted at once")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    from ocean.process import run_process, tune_interpreter

    tune_interpreter()
    runs = [run_process(_run(args.events, args.group)) for _ in range(args.repeat)]
    for sail_us, catalog_us in runs:
        print(f"sail µs {sail_us:6.1f}  catalog µs {catalog_us:6.1f}")
    sail_us, catalog_us = (statistics.median(column) for column in zip(*runs, strict=True))
    print(f"median of {args.repeat}: sail µs {sail_us:.1f}, catalog µs {catalog_us:.1f}")


if __name__ == "__main__":
    main()
