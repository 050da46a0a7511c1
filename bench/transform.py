"""Mapping speed: Ocean's mapper against the original's entity processor, side by side.

Usage: .venv/bin/python bench/transform.py [--sizes 10000,100000] [--skip-original]

Workload: ../shared/peer (GitHub-repository-like items from lib/gen_repos.py and the mapping
in integration/.port/resources/port-app-config.yml). Ocean maps batches of 1000 as a resync
does, streaming (items are generated and dropped batch by batch); the original runs
``bench_processor.py --mode ocean --batch 1000`` in the peer venv (``../shared/peer/setup.sh``
builds it at /tmp/peer-venv). Both print a digest of the entities they produced; the
digests must match. Each side runs in its own process so peak RSS is its own.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
PEER = ROOT.parent / "shared" / "peer"
PEER_PYTHON = Path(os.environ.get("PEER_VENV", "/tmp/peer-venv")) / "bin" / "python"
KEEP = ("identifier", "title", "blueprint", "properties", "relations")


def measure_ours(size: int) -> dict[str, Any]:
    """Runs in a child process: map ``size`` items and report speed and digest."""
    sys.path.insert(0, str(PEER / "lib"))
    import gen_repos  # type: ignore[import-not-found]

    from ocean.mapping import load_mapping
    from ocean.transform.mapper import CompiledResource

    mapping = load_mapping(PEER / "integration" / ".port" / "resources" / "port-app-config.yml")
    resource = CompiledResource(mapping.resources[0], env=None)
    digest, passed, elapsed, batch = hashlib.sha256(), 0, 0.0, []
    for item in gen_repos.iter_repos(size):
        batch.append(item)
        if len(batch) == 1000:
            passed, elapsed = _map(resource, batch, digest, passed, elapsed)
            batch = []
    if batch:
        passed, elapsed = _map(resource, batch, digest, passed, elapsed)
    return {
        "n": size,
        "passed": passed,
        "seconds": round(elapsed, 3),
        "items_per_s": round(size / elapsed),
        "digest": digest.hexdigest()[:16],
    }


def _map(
    resource: Any, batch: list[Any], digest: Any, passed: int, elapsed: float
) -> tuple[int, float]:
    started = time.perf_counter()
    result = resource.map_items(batch)
    elapsed += time.perf_counter() - started
    for entity in result.passed:
        shaped = {key: entity.get(key) for key in KEEP}
        digest.update(json.dumps(shaped, sort_keys=True, separators=(",", ":")).encode())
    return passed + len(result.passed), elapsed


def run(command: list[str]) -> tuple[dict[str, Any], float]:
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, cwd=ROOT)
    _, status, usage = os.wait4(process.pid, 0)
    output = process.stdout.read() if process.stdout else b""
    if status != 0:
        raise SystemExit(f"{command} failed with status {status}")
    return json.loads(output.decode().strip().splitlines()[-1]), usage.ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--skip-original", action="store_true")
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(measure_ours(args.child)))
        return
    with_original = not args.skip_original and PEER_PYTHON.exists()
    print(
        f"{'items':>7} {'ours/s':>8} {'ours MiB':>8} {'orig/s':>7} {'orig MiB':>8} {'ratio':>6}  digests"
    )
    for size in (int(s) for s in args.sizes.split(",")):
        ours, ours_rss = run([sys.executable, __file__, "--child", str(size)])
        line = f"{size:>7} {ours['items_per_s']:>8} {ours_rss:>8.0f}"
        if with_original:
            original, original_rss = run(
                [
                    str(PEER_PYTHON),
                    str(PEER / "bench_processor.py"),
                    "--n",
                    str(size),
                    "--batch",
                    "1000",
                    "--mode",
                    "ocean",
                ]
            )
            same = "match" if original["digest"] == ours["digest"] else "DIFFER"
            ratio = ours["items_per_s"] / original["items_per_s"]
            line += f" {original['items_per_s']:>7.0f} {original_rss:>8.0f} {ratio:>5.0f}x  {same}"
        print(line, flush=True)


if __name__ == "__main__":
    main()
