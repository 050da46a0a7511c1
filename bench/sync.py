"""End-to-end resync speed: the fake integration into a fresh embedded catalog.

Usage: .venv/bin/python bench/sync.py [--sizes 10000,100000]

For each size (persons; teams, projects, offices and departments come on top) it runs
``ocean sail integrations/fake --once`` twice in a fresh process each: a first sync into an
empty catalog and an unchanged rerun. It prints entities/s (whole process, start-up
included) and the peak RSS of each run. For scale: the original takes about 123 s for a
first sync of 50k entities on this kind of machine (about 400 entities/s).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ORIGINAL_FIRST_SYNC_PER_S = 50_000 / 123


def run_once(catalog: Path, size: int, report: Path) -> tuple[float, int, dict[str, object]]:
    env = os.environ | {
        "OCEAN__INTEGRATION__CONFIG__ENTITY_AMOUNT": str(size),
        "OCEAN__INTEGRATION__CONFIG__THIRD_PARTY_BATCH_SIZE": "1000",
    }
    command = [
        sys.executable,
        "-m",
        "ocean",
        "sail",
        str(ROOT / "integrations" / "fake"),
        "--once",
        "--quiet",
        "--catalog",
        f"sqlite:///{catalog}",
        "--report",
        str(report),
    ]
    started = time.perf_counter()
    process = subprocess.Popen(command, env=env)
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - started
    if status != 0:
        raise SystemExit(f"ocean sail failed with status {status}")
    return elapsed, usage.ru_maxrss, json.loads(report.read_text())


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="10000,100000")
    sizes = [int(size) for size in parser.parse_args().sizes.split(",")]
    print(
        f"{'persons':>8} {'entities':>9} {'phase':>10} {'seconds':>8} {'entities/s':>11} {'vs original':>11} {'peak RSS MiB':>12}"
    )
    for size in sizes:
        with tempfile.TemporaryDirectory() as folder:
            catalog, report_path = Path(folder) / "catalog.db", Path(folder) / "report.json"
            for phase in ("first", "unchanged"):
                elapsed, peak_kib, report = run_once(catalog, size, report_path)
                kinds = report["kinds"]
                assert isinstance(kinds, list)
                entities = sum(int(kind["mapped"]) for kind in kinds)
                rate = entities / elapsed
                print(
                    f"{size:>8} {entities:>9} {phase:>10} {elapsed:>8.2f} {rate:>11.0f} "
                    f"{rate / ORIGINAL_FIRST_SYNC_PER_S:>10.0f}x {peak_kib / 1024:>12.0f}"
                )


if __name__ == "__main__":
    main()
