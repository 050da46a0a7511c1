"""Catalog store throughput on SQLite and PostgreSQL.

Usage: .venv/bin/python bench/store.py [--sizes 100000,1000000] [--backends sqlite,postgresql]

Per backend and size, in a fresh process and a fresh catalog: bulk upsert in batches of
1000 (``only_changed`` as a resync does), the change-detection read (stored entities by
identifier list, 1000 at a time), the ownership scan, and a search with three rules.
Prints rows/s for each and the process's peak RSS. PostgreSQL: 127.0.0.1:5432, database
``test`` (override with OCEAN_BENCH_POSTGRES), on a throw-away schema.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
POSTGRES = os.environ.get("OCEAN_BENCH_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")
BLUEPRINTS = [
    {"identifier": "team", "title": "Team", "schema": {"properties": {}}, "relations": {}},
    {
        "identifier": "service",
        "title": "Service",
        "schema": {
            "properties": {
                "url": {"type": "string", "format": "url"},
                "stars": {"type": "number"},
                "language": {"type": "string"},
                "archived": {"type": "boolean"},
            }
        },
        "relations": {"team": {"target": "team", "required": False, "many": False}},
    },
]


def entity(i: int) -> dict[str, Any]:
    return {
        "identifier": f"svc-{i:07d}",
        "blueprint": "service",
        "title": f"Service {i}",
        "properties": {
            "url": f"https://git.example.com/svc-{i}",
            "stars": i % 5000,
            "language": ["python", "go", "rust"][i % 3],
            "archived": i % 13 == 0,
        },
        "relations": {"team": f"team-{i % 50}"},
    }


async def measure(url: str, size: int) -> dict[str, float]:
    from ocean.store.base import Owner
    from ocean.store.open import open_store

    owner, results = Owner("bench", "bench-1"), {}
    store = await open_store(url)
    await store.create_blueprints(BLUEPRINTS)
    started = time.perf_counter()
    for start in range(0, size, 1000):
        batch = [entity(i) for i in range(start, min(size, start + 1000))]
        await store.upsert_entities(batch, owner=owner, merge=True, only_changed=True)  # type: ignore[arg-type]
    results["upsert"] = size / (time.perf_counter() - started)
    started = time.perf_counter()
    for start in range(0, size, 1000):
        await store.get_entities(
            "service", [f"svc-{i:07d}" for i in range(start, min(size, start + 1000))]
        )
    results["read by identifiers"] = size / (time.perf_counter() - started)
    started = time.perf_counter()
    owned = await store.owned_keys(owner)
    results["ownership scan"] = len(owned) / (time.perf_counter() - started)
    query = {
        "combinator": "and",
        "rules": [
            {"property": "$blueprint", "operator": "=", "value": "service"},
            {"property": "language", "operator": "=", "value": "go"},
            {"property": "stars", "operator": ">", "value": 4000},
        ],
    }
    started = time.perf_counter()
    found = await store.search(query)
    results["search, 3 rules"] = size / (time.perf_counter() - started)
    results["search hits"] = len(found)
    await store.close()
    return results


def child(backend: str, size: int) -> None:
    if backend == "sqlite":
        folder = tempfile.mkdtemp()
        url = str(Path(folder) / "catalog.db")
    else:
        url = f"{POSTGRES}?schema=bench_{uuid.uuid4().hex[:8]}"
    results = asyncio.run(measure(url, size))
    if backend == "postgresql":
        asyncio.run(_drop(url))
    print(json.dumps(results))


async def _drop(url: str) -> None:
    import asyncpg

    schema = url.rsplit("schema=", 1)[1]
    connection = await asyncpg.connect(POSTGRES)
    await connection.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
    await connection.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="100000,1000000")
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child[0], int(args.child[1]))
        return
    for backend in args.backends.split(","):
        for size in (int(s) for s in args.sizes.split(",")):
            process = subprocess.Popen(
                [sys.executable, __file__, "--child", backend, str(size)],
                stdout=subprocess.PIPE,
                cwd=ROOT,
            )
            _, status, usage = os.wait4(process.pid, 0)
            output = process.stdout.read().decode() if process.stdout else ""
            if status != 0:
                raise SystemExit(f"{backend} {size} failed")
            results = json.loads(output.strip().splitlines()[-1])
            cells = ", ".join(
                f"{name} {value:,.0f}/s" for name, value in results.items() if name != "search hits"
            )
            print(
                f"{backend:<10} {size:>9,} rows: {cells}; peak RSS {usage.ru_maxrss / 1024:.0f} MiB",
                flush=True,
            )


if __name__ == "__main__":
    main()
