"""The peer integration synced by the original and by Ocean, side by side.

Usage: .venv/bin/python bench/peer_vs_ours.py [--sizes 5000,50000]

The original (port-ocean 0.56.2 from ``../shared/peer/setup.sh``) runs through
``../shared/peer/run_pipeline.py`` into its fake Port; Ocean runs the same folder,
unchanged, with ``ocean sail --once`` into a fresh embedded catalog. Each side does a first
sync and an unchanged rerun. Times are whole processes (start-up included) for Ocean and
both the resync and the process wall time for the original.
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
PEER = ROOT.parent / "shared" / "peer"
PEER_PYTHON = Path(os.environ.get("PEER_VENV", "/tmp/peer-venv")) / "bin" / "python"


def ours(size: int) -> dict[str, float]:
    env = os.environ | {
        "PEER_REPO_COUNT": str(size),
        "PEER_BATCH_SIZE": "100",
        "PEER_RUN_TAG": "bench",
    }
    times = {}
    with tempfile.TemporaryDirectory() as folder:
        for phase in ("first", "rerun-same"):
            started = time.perf_counter()
            subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "ocean",
                    "sail",
                    str(PEER / "integration"),
                    "--once",
                    "--quiet",
                    "--catalog",
                    f"sqlite:///{folder}/catalog.db",
                ],
                env=env,
                check=True,
                cwd=folder,
            )
            times[phase] = time.perf_counter() - started
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


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="5000,50000")
    sizes = [int(size) for size in parser.parse_args().sizes.split(",")]
    print(
        f"{'items':>6} {'phase':>11} {'ours s':>7} {'orig resync s':>13} {'orig wall s':>11} {'ratio (wall)':>12}"
    )
    for size in sizes:
        mine = ours(size)
        theirs = original(size) if PEER_PYTHON.exists() else {}
        for phase, seconds in mine.items():
            resync, wall = theirs.get(phase, (float("nan"), float("nan")))
            print(
                f"{size:>6} {phase:>11} {seconds:>7.2f} {resync:>13.2f} {wall:>11.2f} {wall / seconds:>11.0f}x",
                flush=True,
            )


if __name__ == "__main__":
    main()
