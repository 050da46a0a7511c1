"""kill -9 in the middle of a first sync and of a shrinking rerun, on SQLite and PostgreSQL:
after the next normal run the catalog equals a clean run's (bench/faults.py runs many more)."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest

from tests.conftest import POSTGRES_URL
from tests.reliability.kill_runs import kill_and_converge, reference

PERSONS = 3000
SHRUNK = 2200


@pytest.fixture(params=["sqlite", "postgresql"])
async def catalogs(
    request: pytest.FixtureRequest, tmp_path: Path, postgres_url: str
) -> AsyncIterator[tuple[str, str]]:
    """The catalog under test and a reference catalog, of the same kind."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'killed.db'}", f"sqlite:///{tmp_path / 'clean.db'}"
        return
    clean = postgres_url.replace("?schema=", "?schema=clean_")
    yield postgres_url, clean
    connection = await asyncpg.connect(POSTGRES_URL)
    await connection.execute(f'DROP SCHEMA IF EXISTS "{clean.rsplit("=", 1)[1]}" CASCADE')
    await connection.close()


@pytest.mark.parametrize(
    ("before", "after"),
    [
        pytest.param(0, PERSONS, id="first-sync"),
        pytest.param(PERSONS, SHRUNK, id="shrinking-rerun"),
    ],
)
async def test_a_sync_killed_midway_converges_on_the_next_run(
    catalogs: tuple[str, str], before: int, after: int
) -> None:
    catalog, clean = catalogs
    slow = {
        "OCEAN__INTEGRATION__CONFIG__THIRD_PARTY_LATENCY_MS": "60"
    }  # pages, not CPU, set the pace
    expected, took = await reference(clean, before=before, after=after, extra_env=slow)

    for attempt in range(3):  # a loaded machine may still finish first: kill earlier then
        share = 0.5**attempt
        run = await kill_and_converge(
            catalog, before=before if attempt == 0 else 0, after=after,
            window=(0.3 * share * took, 0.7 * share * took), expected=expected,
            rng=random.Random(after), extra_env=slow,
        )  # fmt: skip
        assert run.wrong == 0
        if not run.finished_first:
            break
    assert not run.finished_first
    assert len(expected) > after
