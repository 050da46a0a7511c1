"""Incremental sync against a full rerun, on the fake integration.

Usage: .venv/bin/python bench/incremental.py [--persons 180000] [--changed 0.01] [--latency-ms 20]

After a first full sync (about 200k entities for 180k persons), it times a full rerun
(everything fetched again; unchanged pages are not mapped again, as usual) and an
incremental run in which ``--changed`` of the persons changed, and prints both and the ratio,
two ways: the resync itself (from its ``running`` record to its end, as the catalog records
it) and the whole process (interpreter start-up and imports included). ``--latency-ms`` is
the fake API's time per page of 1,000 items (a real API is never instant; 0 for none).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def sail(
    catalog: Path, report: Path, env: dict[str, str]
) -> tuple[float, float, dict[str, object]]:
    """Whole-process seconds, resync seconds and the report of one ``ocean sail --once``."""
    command = [sys.executable, "-m", "ocean", "sail", str(ROOT / "integrations" / "fake"),
               "--once", "--quiet", "--catalog", f"sqlite:///{catalog}", "--report", str(report)]  # fmt: skip
    started = time.perf_counter()
    subprocess.run(command, env=os.environ | env, check=True)
    whole = time.perf_counter() - started
    document = json.loads(report.read_text())
    return whole, _seconds(document["started_at"], document["ended_at"]), document


def _seconds(start: str, end: str) -> float:
    parsed = [dt.datetime.fromisoformat(s.replace("Z", "+00:00")) for s in (start, end)]
    return (parsed[1] - parsed[0]).total_seconds()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--persons", type=int, default=180_000)
    parser.add_argument("--changed", type=float, default=0.01)
    parser.add_argument("--latency-ms", type=int, default=20)
    options = parser.parse_args()
    base = {
        "OCEAN__INTEGRATION__CONFIG__ENTITY_AMOUNT": str(options.persons),
        "OCEAN__INTEGRATION__CONFIG__THIRD_PARTY_BATCH_SIZE": "1000",
        "OCEAN__INTEGRATION__CONFIG__THIRD_PARTY_LATENCY_MS": str(options.latency_ms),
    }
    changed = int(options.persons * options.changed)
    with tempfile.TemporaryDirectory() as scratch:
        catalog, report = Path(scratch) / "catalog.db", Path(scratch) / "report.json"
        _, _, first = sail(catalog, report, base)
        entities = sum(int(k["mapped"]) for k in first["kinds"])  # type: ignore[index,union-attr]
        full_whole, full_resync, _ = sail(catalog, report, base)
        changes = base | {
            "OCEAN__INTEGRATION__INCREMENTAL_SYNC_ENABLED": "true",
            "OCEAN__INTEGRATION__CONFIG__CHANGED_PERSONS": str(changed),
            "OCEAN__INTEGRATION__CONFIG__CHANGED_AT": dt.datetime.now(dt.UTC).isoformat(),
        }
        inc_whole, inc_resync, incremental = sail(catalog, report, changes)
    fetched = sum(int(k["extracted"]) for k in incremental["kinds"])  # type: ignore[index,union-attr]
    print(f"{entities:,} entities; {changed:,} persons changed ({options.changed:.0%}); "
          f"fake API {options.latency_ms} ms a page of 1,000")  # fmt: skip
    print(f"{'':>22} {'full rerun':>11} {'incremental':>12} {'ratio':>7}")
    print(
        f"{'resync seconds':>22} {full_resync:>11.2f} {inc_resync:>12.3f} {full_resync / inc_resync:>6.0f}x"
    )
    print(
        f"{'whole-process seconds':>22} {full_whole:>11.2f} {inc_whole:>12.3f} {full_whole / inc_whole:>6.0f}x"
    )
    print(f"incremental fetched {fetched:,} items")


if __name__ == "__main__":
    main()
