"""The peer integration synced by the original and by Ocean, side by side.

Usage: .venv/bin/python bench/peer_vs_ours.py [--sizes 5000,50000] [--repeat 4] [--skip-original]

The original (port-ocean 0.56.2 from ``../shared/peer/setup.sh``) runs through
``../shared/peer/run_pipeline.py`` into its fake Port; Ocean runs the same folder,
unchanged, with ``ocean sail --once`` into a fresh embedded catalog and, through its Port
API client, into ``ocean catalog serve`` on a fresh SQLite store. Each side does a first
sync and an unchanged rerun. Ocean's times are whole processes (start-up included), the
median of ``--repeat`` fresh runs, half of them before the original's run and half after
(a shared 2-core cloud machine drifts by a third within minutes: bracketing the original's
minutes keeps the ratio fair); the original runs once (minutes at 50k): both its resync and
its process wall time are shown.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from serving import serve

ROOT = Path(__file__).resolve().parents[1]
PEER = ROOT.parent / "shared" / "peer"
PEER_PYTHON = Path(os.environ.get("PEER_VENV", "/tmp/peer-venv")) / "bin" / "python"


def ours(size: int, *, through_server: bool = False) -> dict[str, float]:
    env = os.environ | {
        "PEER_REPO_COUNT": str(size),
        "PEER_BATCH_SIZE": "100",
        "PEER_RUN_TAG": "bench",
    }
    times = {}
    with tempfile.TemporaryDirectory() as folder:
        catalog, server = f"sqlite:///{folder}/catalog.db", None
        if through_server:
            env, catalog, server = serve(f"{folder}/served.db", env)
        try:
            for phase in ("first", "rerun-same"):
                started = time.perf_counter()
                command = [
                    sys.executable,
                    "-m",
                    "ocean",
                    "sail",
                    str(PEER / "integration"),
                    "--once",
                    "--quiet",
                    "--catalog",
                    catalog,
                ]
                subprocess.run(command, env=env, check=True, cwd=folder)
                times[phase] = time.perf_counter() - started
        finally:
            if server is not None:
                server.terminate()
                server.wait()
    return times


def original(size: int) -> dict[str, tuple[float, float]]:
    out = Path(tempfile.mkdtemp()) / "pipeline.jsonl"
    subprocess.run(
        [
            str(PEER_PYTHON),
            str(PEER / "run_pipeline.py"),
            "--n",
            str(size),
            "--reps",
            "1",
            "--phases",
            "first,rerun-same",
            "--out",
            str(out),
        ],
        check=True,
        cwd=PEER,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    rows = [json.loads(line) for line in out.read_text().splitlines() if line.strip()]
    return {row["tag"]: (row["result"]["resync_s"], row["wall_s"]) for row in rows}


def fresh_runs(runs: int, size: int) -> list[tuple[dict[str, float], dict[str, float]]]:
    """``runs`` fresh (embedded, through the server) pairs of phase times."""
    return [(ours(size), ours(size, through_server=True)) for _ in range(runs)]


def median_of(times: list[dict[str, float]]) -> dict[str, float]:
    """Each phase's median."""
    return {phase: statistics.median(t[phase] for t in times) for phase in times[0]}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="5000,50000")
    parser.add_argument("--repeat", type=int, default=4, help="fresh runs of Ocean per size")
    parser.add_argument("--skip-original", action="store_true")
    args = parser.parse_args()
    print(
        f"{'items':>6} {'phase':>11} {'ours s':>7} {'via server s':>12} {'orig resync s':>13} {'orig wall s':>11} {'ratio':>6}"
    )
    for size in (int(size) for size in args.sizes.split(",")):
        runs = fresh_runs((args.repeat + 1) // 2, size)
        theirs = original(size) if PEER_PYTHON.exists() and not args.skip_original else {}
        runs += fresh_runs(args.repeat // 2, size)
        mine, served = median_of([r[0] for r in runs]), median_of([r[1] for r in runs])
        for phase, seconds in mine.items():
            resync, wall = theirs.get(phase, (float("nan"), float("nan")))
            print(
                f"{size:>6} {phase:>11} {seconds:>7.2f} {served[phase]:>12.2f} {resync:>13.2f} {wall:>11.2f} "
                f"{wall / seconds:>5.0f}x",
                flush=True,
            )


if __name__ == "__main__":
    main()
