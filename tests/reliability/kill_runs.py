"""kill -9 at a random point of an ``ocean sail --once`` of the fake integration, then a
normal run: the catalog must then equal a clean run's. Shared by the reliability tests (small
sizes, a few tries) and ``bench/faults.py`` (large sizes, many tries)."""

from __future__ import annotations

import hashlib
import os
import random
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import orjson

from ocean.store.open import open_store

ROOT = Path(__file__).resolve().parents[2]
FAKE = ROOT / "integrations" / "fake"
COMPARED = ("blueprint", "identifier", "title", "properties", "relations", "team", "icon")
"""The entity fields a resync sets (timestamps and datasource differ between catalogs)."""


@dataclass(frozen=True)
class KillRun:
    """One try: when the first run was killed, whether it had finished by then, and how
    many entities the catalog got wrong after the next normal run."""

    killed_after: float
    finished_first: bool
    wrong: int


def sail(
    catalog: str, persons: int, extra_env: dict[str, str] | None = None
) -> subprocess.Popen[bytes]:
    """Start ``ocean sail integrations/fake --once`` on ``catalog`` with ``persons`` persons."""
    env = (
        os.environ
        | {
            "OCEAN__INTEGRATION__CONFIG__ENTITY_AMOUNT": str(persons),
            "OCEAN__INTEGRATION__CONFIG__THIRD_PARTY_BATCH_SIZE": "250",
            # A killed run's lease lapses within 4 s; the next run waits for it (2 s was too
            # short for a loaded machine to renew it in time: the run lost it, aborted).
            "OCEAN__RESYNC_LEASE_SECONDS": "4",
            "OCEAN__RESYNC_LEASE_WAIT_SECONDS": "20",
        }
        | (extra_env or {})
    )
    command = [sys.executable, "-m", "ocean", "sail", str(FAKE), "--once", "--quiet",
               "--catalog", catalog]  # fmt: skip
    return subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def sail_to_the_end(catalog: str, persons: int, extra_env: dict[str, str] | None = None) -> float:
    """Run a sync to its end; how long it took (seconds)."""
    started = time.perf_counter()
    process = sail(catalog, persons, extra_env)
    _, errors = process.communicate(timeout=600)
    if process.returncode:
        raise AssertionError(f"ocean sail failed ({process.returncode}): {errors.decode()[-2000:]}")
    return time.perf_counter() - started


async def reference(
    catalog: str, *, before: int, after: int, extra_env: dict[str, str] | None = None
) -> tuple[dict[tuple[str, str], str], float]:
    """A clean run's catalog (``before`` persons, then ``after``) and how long its last
    sync took: the killed run is killed within that time."""
    if before:
        sail_to_the_end(catalog, before, extra_env)
    took = sail_to_the_end(catalog, after, extra_env)
    return await snapshot(catalog), took


async def snapshot(catalog: str) -> dict[tuple[str, str], str]:
    """Each entity's digest over the fields a resync sets."""
    store = await open_store(catalog)
    try:
        found: dict[tuple[str, str], str] = {}
        async for entity in store.iter_entities():
            fields = {name: entity.get(name) for name in COMPARED}
            digest = hashlib.sha256(orjson.dumps(fields, option=orjson.OPT_SORT_KEYS)).hexdigest()
            found[entity["blueprint"], entity["identifier"]] = digest
        return found
    finally:
        await store.close()


def differences(got: dict[tuple[str, str], str], expected: dict[tuple[str, str], str]) -> int:
    """Entities missing, extra or different."""
    return len(got.keys() ^ expected.keys()) + sum(
        1 for key in got.keys() & expected.keys() if got[key] != expected[key]
    )


async def kill_and_converge(
    catalog: str,
    *,
    before: int,
    after: int,
    window: tuple[float, float],
    expected: dict[tuple[str, str], str],
    rng: random.Random,
    extra_env: dict[str, str] | None = None,
) -> KillRun:
    """Sync ``before`` persons cleanly (0: start empty), start a sync of ``after`` persons,
    kill it -9 after a random time in ``window`` seconds, sync ``after`` persons again to the
    end, and count how far the catalog is from ``expected`` (a clean run's snapshot)."""
    if before:
        sail_to_the_end(catalog, before, extra_env)
    killed_after = rng.uniform(*window)
    process = sail(catalog, after, extra_env)
    time.sleep(killed_after)
    finished = process.poll() is not None
    if not finished:
        os.kill(process.pid, signal.SIGKILL)
    process.communicate(timeout=60)
    sail_to_the_end(catalog, after, extra_env)
    return KillRun(killed_after, finished, differences(await snapshot(catalog), expected))
