"""End to end through the catalog server: ``ocean sail integrations/fake --once`` into
``ocean catalog serve`` on SQLite and on PostgreSQL, against the embedded catalog.

Usage: .venv/bin/python bench/server.py [--persons 43500] [--backends sqlite,postgresql]

43,500 persons make about 50k entities (teams, projects, offices and departments come
on top). Each backend gets a fresh store; a first sync and an unchanged rerun each run in
a fresh process (start-up included). Prints seconds and entities/s.
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

import asyncpg
from serving import serve

ROOT = Path(__file__).resolve().parents[1]
POSTGRES = os.environ.get("OCEAN_BENCH_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")


def sync(catalog: str, env: dict[str, str], report: Path) -> tuple[float, int]:
    command = [sys.executable, "-m", "ocean", "sail", str(ROOT / "integrations" / "fake"),
               "--once", "--quiet", "--catalog", catalog, "--report", str(report)]  # fmt: skip
    started = time.perf_counter()
    subprocess.run(command, env=env, check=True)
    elapsed = time.perf_counter() - started
    kinds = json.loads(report.read_text())["kinds"]
    return elapsed, sum(k["mapped"] for k in kinds)


def run(label: str, catalog: str | None, store: str | None, persons: int) -> None:
    env = os.environ | {"OCEAN__INTEGRATION__CONFIG__ENTITY_AMOUNT": str(persons)}
    with tempfile.TemporaryDirectory() as folder:
        server = None
        if store is not None:
            env, catalog, server = serve(store.replace("{folder}", folder), env)
        assert catalog is not None
        try:
            for phase in ("first", "rerun"):
                seconds, entities = sync(
                    catalog.replace("{folder}", folder), env, Path(folder) / "r.json"
                )
                print(
                    f"{label:>22} {phase:>6} {entities:>8} {seconds:>8.2f} {entities / seconds:>10.0f}"
                )
        finally:
            if server is not None:
                server.terminate()
                server.wait()


async def _drop(schema: str) -> None:
    connection = await asyncpg.connect(POSTGRES)
    await connection.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
    await connection.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--persons", type=int, default=43_500)
    parser.add_argument("--backends", default="sqlite,postgresql")
    args = parser.parse_args()
    print(f"{'catalog':>22} {'phase':>6} {'entities':>8} {'seconds':>8} {'entities/s':>10}")
    run("embedded (SQLite)", "sqlite:///{folder}/catalog.db", None, args.persons)
    for backend in args.backends.split(","):
        if backend == "sqlite":
            run("server on SQLite", None, "{folder}/served.db", args.persons)
        else:
            schema = f"bench_{uuid.uuid4().hex[:8]}"
            try:
                run("server on PostgreSQL", None, f"{POSTGRES}?schema={schema}", args.persons)
            finally:
                asyncio.run(_drop(schema))


if __name__ == "__main__":
    main()
