"""Resync cost as the item count grows: the fake integration on SQLite and PostgreSQL.

Usage: .venv/bin/python bench/scale.py [--sizes 50000,200000,1000000]
                                       [--backends sqlite,postgresql] [--repeat 1]

For each backend and size it runs ``ocean sail integrations/fake --once`` in a fresh
process: a first sync into an empty catalog, then an unchanged rerun. Each line gives the
whole process's seconds (start-up included), µs per item (the mapped entities), the CPU
seconds of the sail and the children it reaped (a fairer figure on a busy machine), and the
peak RSS summed over every process of the run (the sail and the catalog's child process):
the process tree is sampled from /proc every 20 ms, and the figure is never below the
largest single process's ``ru_maxrss`` (os.wait4). With ``--repeat N`` each figure is
the median of N fresh catalogs, each round running every size on every backend; it
also prints the ratios the targets compare (PostgreSQL's µs per item over SQLite's, and
the largest size's over the smallest's), each the median of the rounds' ratios.
PostgreSQL: 127.0.0.1:5432, database ``test`` (override with OCEAN_BENCH_POSTGRES), a
throw-away schema per catalog. Each run starts once the kernel has written back what the
runs before it wrote (``os.sync``): a PostgreSQL run's commits waited behind the writeback
of the SQLite run just before it (a 50k first sync 1.81 s against 1.2-1.4 s when alone).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
POSTGRES = os.environ.get("OCEAN_BENCH_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")
PAGE = os.sysconf("SC_PAGE_SIZE")


@dataclass
class Run:
    seconds: float
    items: int
    peak_bytes: int
    cpu: float
    """User and system seconds of the sail and the children it waited for."""

    @property
    def micros(self) -> float:
        return self.seconds / max(self.items, 1) * 1e6


def _tree_rss(root: int) -> int:
    """Resident bytes of ``root`` and all its descendants, now."""
    parents: dict[int, int] = {}
    rss: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as handle:
                stat = handle.read()
        except OSError:
            continue
        fields = stat[stat.rindex(b")") + 2 :].split()
        pid = int(entry)
        parents[pid], rss[pid] = int(fields[1]), int(fields[21]) * PAGE
    total, frontier = 0, [root]
    while frontier:
        pid = frontier.pop()
        total += rss.get(pid, 0)
        frontier.extend(child for child, parent in parents.items() if parent == pid)
    return total


def sail(catalog: str, size: int, report: Path) -> Run:
    env = os.environ | {
        "OCEAN__INTEGRATION__CONFIG__ENTITY_AMOUNT": str(size),
        "OCEAN__INTEGRATION__CONFIG__THIRD_PARTY_BATCH_SIZE": "1000",
    }
    command = [sys.executable, "-m", "ocean", "sail", str(ROOT / "integrations" / "fake")]
    command += ["--once", "--quiet", "--catalog", catalog, "--report", str(report)]
    os.sync()  # the runs before this one written back: no run waits on another's writes
    started = time.perf_counter()
    process = subprocess.Popen(command, env=env, cwd=ROOT)
    peak = 0
    while True:
        pid, status, usage = os.wait4(process.pid, os.WNOHANG)
        if pid:
            break
        peak = max(peak, _tree_rss(process.pid))
        time.sleep(0.02)
    elapsed = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise SystemExit(f"ocean sail failed with status {process.returncode}")
    kinds = json.loads(report.read_text())["kinds"]
    items = sum(int(kind["mapped"]) for kind in kinds)
    cpu = usage.ru_utime + usage.ru_stime
    return Run(elapsed, items, max(peak, usage.ru_maxrss * 1024), cpu)


def catalogs(backend: str, folder: Path) -> tuple[str, str | None]:
    """The catalog URL for a fresh catalog, and the PostgreSQL schema to drop after."""
    if backend == "sqlite":
        return f"sqlite:///{folder / 'catalog.db'}", None
    schema = f"scale_{uuid.uuid4().hex[:8]}"
    return f"{POSTGRES}?schema={schema}", schema


async def _drop(schema: str) -> None:
    import asyncpg

    connection = await asyncpg.connect(POSTGRES)
    try:
        await connection.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
    finally:
        await connection.close()


def measure(backend: str, size: int) -> tuple[Run, Run]:
    with tempfile.TemporaryDirectory() as folder:
        url, schema = catalogs(backend, Path(folder))
        report = Path(folder) / "report.json"
        try:
            return sail(url, size, report), sail(url, size, report)
        finally:
            if schema is not None:
                asyncio.run(_drop(schema))


def median(runs: list[Run]) -> Run:
    return Run(
        statistics.median(run.seconds for run in runs),
        runs[0].items,
        int(statistics.median(run.peak_bytes for run in runs)),
        statistics.median(run.cpu for run in runs),
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="50000,200000")
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()
    print(
        f"{'backend':<10} {'persons':>8} {'items':>8} {'run':>9} {'s':>7} {'µs/item':>8} {'peak RSS MB':>11} {'CPU s':>6}"
    )
    backends = args.backends.split(",")
    sizes = [int(size) for size in args.sizes.split(",")]
    # Each round runs every size on every backend, so that a machine whose speed drifts (a
    # shared one) weighs on all of them alike; ratios are taken round by round.
    rounds: list[Round] = []
    for _ in range(args.repeat):
        rounds.append({(b, size): measure(b, size) for size in sizes for b in backends})
    for size in sizes:
        for backend in backends:
            for phase, index in _PHASES:
                run = median([each[backend, size][index] for each in rounds])
                print(
                    f"{backend:<10} {size:>8} {run.items:>8} {phase:>9} {run.seconds:>7.2f} "
                    f"{run.micros:>8.1f} {run.peak_bytes / 1e6:>11.0f} {run.cpu:>6.2f}",
                    flush=True,
                )
    for name, over, under in _ratios(backends, sizes):
        figures = ", ".join(
            f"{phase} {_ratio(rounds, over, under, index):.2f}x" for phase, index in _PHASES
        )
        print(f"{name}: {figures} (median of {args.repeat} rounds' ratios)", flush=True)


Round = dict[tuple[str, int], tuple[Run, Run]]
_PHASES = (("first", 0), ("unchanged", 1))


def _ratios(
    backends: list[str], sizes: list[int]
) -> list[tuple[str, tuple[str, int], tuple[str, int]]]:
    """What the targets compare: PostgreSQL's µs per item over SQLite's at each size, and
    each backend's at the largest size over the smallest's."""
    ratios = []
    if {"sqlite", "postgresql"} <= set(backends):
        for size in sizes:
            name = f"postgresql/sqlite µs per item at {size}"
            ratios.append((name, ("postgresql", size), ("sqlite", size)))
    if len(sizes) > 1:
        low, high = min(sizes), max(sizes)
        for backend in backends:
            name = f"{backend} µs per item at {high} / at {low}"
            ratios.append((name, (backend, high), (backend, low)))
    return ratios


def _ratio(rounds: list[Round], over: tuple[str, int], under: tuple[str, int], index: int) -> float:
    """The median over rounds of one run's µs per item over another's, measured in the
    same round."""
    return statistics.median(
        each[over][index].micros / each[under][index].micros for each in rounds
    )


if __name__ == "__main__":
    main()
