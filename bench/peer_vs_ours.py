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

Two ratios are printed, each like for like:

- ``wall``: whole processes, the interpreter's start-up and imports included;
- ``resync``: the resync alone, as ``../shared/peer/BASELINE.md`` measures the original
  "end to end": from the resync's ``running`` state to its final state. The original's is
  read off its fake Port's log of ``resync-state`` PATCHes; Ocean's from the run's own
  ``started_at``/``ended_at`` (``ocean sail --report``), stamped where it records those states.
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
from datetime import datetime
from pathlib import Path

from serving import serve

ROOT = Path(__file__).resolve().parents[1]
PEER = ROOT.parent / "shared" / "peer"
PEER_PYTHON = Path(os.environ.get("PEER_VENV", "/tmp/peer-venv")) / "bin" / "python"


Times = dict[str, tuple[float, float]]
"""Phase -> (resync seconds, whole-process seconds)."""


def resync_seconds(report: Path) -> float:
    """How long the run in an ``ocean sail --report`` file took, running to final state."""
    run = json.loads(report.read_text())
    started, ended = (datetime.fromisoformat(run[k]) for k in ("started_at", "ended_at"))
    return (ended - started).total_seconds()


def ours(size: int, *, through_server: bool = False) -> Times:
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
                    "--report",
                    f"{folder}/report.json",
                ]
                subprocess.run(command, env=env, check=True, cwd=folder)
                wall = time.perf_counter() - started
                times[phase] = (resync_seconds(Path(folder) / "report.json"), wall)
        finally:
            if server is not None:
                server.terminate()
                server.wait()
    return times


def original(size: int) -> Times:
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


def fresh_runs(runs: int, size: int) -> list[tuple[Times, Times]]:
    """``runs`` fresh (embedded, through the server) pairs of phase times."""
    return [(ours(size), ours(size, through_server=True)) for _ in range(runs)]


def median_of(runs: list[Times]) -> Times:
    """Each phase's median resync and median process time."""
    return {
        phase: (
            statistics.median(run[phase][0] for run in runs),
            statistics.median(run[phase][1] for run in runs),
        )
        for phase in runs[0]
    }


HEADER = (
    f"{'':>18} | {'resync s':^23} | {'whole process s':^23} | {'ratio':^14}\n"
    f"{'items':>6} {'phase':>11} | {'ours':>7} {'served':>7} {'orig':>7}"
    f" | {'ours':>7} {'served':>7} {'orig':>7} | {'resync':>7} {'wall':>6}"
)


def row(size: int, phase: str, mine: tuple[float, float], served: tuple[float, float],
        theirs: tuple[float, float]) -> str:  # fmt: skip
    return (
        f"{size:>6} {phase:>11} | {mine[0]:>7.2f} {served[0]:>7.2f} {theirs[0]:>7.2f}"
        f" | {mine[1]:>7.2f} {served[1]:>7.2f} {theirs[1]:>7.2f}"
        f" | {theirs[0] / mine[0]:>6.0f}x {theirs[1] / mine[1]:>5.0f}x"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="5000,50000")
    parser.add_argument("--repeat", type=int, default=4, help="fresh runs of Ocean per size")
    parser.add_argument("--skip-original", action="store_true")
    args = parser.parse_args()
    print(HEADER)
    nothing = (float("nan"), float("nan"))
    for size in (int(size) for size in args.sizes.split(",")):
        runs = fresh_runs((args.repeat + 1) // 2, size)
        theirs = original(size) if PEER_PYTHON.exists() and not args.skip_original else {}
        runs += fresh_runs(args.repeat // 2, size)
        mine, served = median_of([r[0] for r in runs]), median_of([r[1] for r in runs])
        for phase in mine:
            print(
                row(size, phase, mine[phase], served[phase], theirs.get(phase, nothing)), flush=True
            )


if __name__ == "__main__":
    main()
