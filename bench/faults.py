"""The reliability suite's long runs: many kill -9 tries at random points, live events
killed mid-flight, and the reliability tests run again and again.

Usage: .venv/bin/python bench/faults.py [--tries 10] [--persons 20000] [--repeat 3]

Prints a Markdown table (the README's "Reliability" table): each fault, how many tries,
how many ended right, and a figure. Needs PostgreSQL (OCEAN_TEST_POSTGRES or
127.0.0.1:5432/test) and Redis (127.0.0.1:6379), as the test suite does.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path

import asyncpg

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.conftest import POSTGRES_URL  # noqa: E402
from tests.reliability.kill_runs import kill_and_converge, reference  # noqa: E402
from tests.reliability.live_kill import kill_while_events_wait  # noqa: E402

TESTS = [
    ("Redis outage, live events (with and without persistence)", "test_live_queue_outage.py"),
    ("Stale deletion: cascades, emptied kinds", "test_deletion_safety.py"),
    ("Concurrent first opens of a new catalog", "test_concurrent_first_open.py"),
    ("Concurrent sails of one integration", "test_concurrent_sails.py"),
    ("Bad-input corpus", "test_bad_input.py"),
]
Row = tuple[str, int, int, str]


class Catalogs:
    """New catalogs of one kind, dropped at the end."""

    def __init__(self, kind: str, folder: Path) -> None:
        self.kind, self.folder, self.schemas = kind, folder, list[str]()

    def new(self) -> str:
        name = f"faults_{uuid.uuid4().hex[:10]}"
        if self.kind == "sqlite":
            return f"sqlite:///{self.folder / name}.db"
        self.schemas.append(name)
        return f"{POSTGRES_URL}?schema={name}"

    async def drop(self) -> None:
        if self.schemas:
            connection = await asyncpg.connect(POSTGRES_URL)
            for schema in self.schemas:
                await connection.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
            await connection.close()


async def kill_rows(kind: str, persons: int, tries: int, folder: Path) -> list[Row]:
    catalogs, rows = Catalogs(kind, folder), []
    try:
        for label, before, after in (
            ("first sync", 0, persons),
            ("shrinking rerun", persons, persons * 7 // 10),
        ):
            expected, took = await reference(catalogs.new(), before=before, after=after)
            rng, right, finished = random.Random(f"{kind}{label}"), 0, 0
            for _ in range(tries):
                run = await kill_and_converge(
                    catalogs.new(), before=before, after=after, window=(0.05 * took, 0.95 * took),
                    expected=expected, rng=rng,
                )  # fmt: skip
                right += run.wrong == 0
                finished += run.finished_first
            figure = f"{len(expected):,} entities; killed in 5-95% of a {took:.1f} s sync"
            if finished:
                figure += f" ({finished} finished before the kill)"
            rows.append((f"kill -9 mid {label}, {kind}", tries, right, figure))
    finally:
        await catalogs.drop()
    return rows


async def live_rows(tries: int, folder: Path) -> list[Row]:
    rows = []
    for label, queue in (("SQLite", None), ("Redis", "redis://127.0.0.1:6379/0")):
        right, accepted = 0, 0
        for number in range(tries):
            run_folder = folder / f"live-{label}-{number}"
            run_folder.mkdir()
            run = await kill_while_events_wait(run_folder, events=200, keys=10, queue_url=queue)
            right += run.wrong_keys == 0 and run.refused == 0
            accepted += run.accepted
        figure = f"{accepted:,} events over 10 keys, none lost, last per key last"
        rows.append((f"kill -9 with live events queued, {label} queue", tries, right, figure))
    return rows


def test_rows(repeat: int) -> list[Row]:
    rows = []
    for label, module in TESTS:
        path = ROOT / "tests" / "reliability" / module
        if not path.exists():
            continue
        passed, started = 0, time.perf_counter()
        for _ in range(repeat):
            run = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(path)]
            passed += subprocess.run(run, cwd=ROOT, capture_output=True).returncode == 0
        seconds = (time.perf_counter() - started) / repeat
        rows.append((f"{label} (`{module}`)", repeat, passed, f"{seconds:.0f} s a run"))
    return rows


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tries", type=int, default=10)
    parser.add_argument("--persons", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=3)
    options = parser.parse_args()
    rows: list[Row] = []
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        steps: list[Callable[[], Awaitable[list[Row]]]] = [
            lambda: kill_rows("sqlite", options.persons, options.tries, folder),
            lambda: kill_rows("postgresql", options.persons, options.tries, folder),
            lambda: live_rows(options.tries, folder),
        ]
        for step in steps:
            try:
                rows += await step()
            except Exception as error:  # a step that broke is a row that failed, not a lost table
                rows.append(
                    (f"step {len(rows)} broke", 1, 0, f"{type(error).__name__}: {error}"[:300])
                )
            print(f"... {rows[-1]}", file=sys.stderr)
    rows += test_rows(options.repeat)
    print("| fault | tries | ended right | figure |\n|---|---|---|---|")
    for label, tries, right, figure in rows:
        print(f"| {label} | {tries} | {right}/{tries} | {figure} |")


if __name__ == "__main__":
    asyncio.run(main())
