"""Calculation properties run in worker processes within a time and a memory budget: a
program that never ends or allocates without end is null (logged once, then skipped a
while), its worker is killed and replaced, and the server answers other requests
meanwhile; a server whose blueprints have no calculations starts no worker."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from ocean.server.calculations import BUDGET, Calculations
from ocean.server.computed import Computed
from ocean.store.sqlite.store import SQLiteStore
from ocean.types import Entity
from tests.server.serving import fresh_catalog, served_as_admin

NEVER_ENDS = "last(range(1e15))"
SHORT = 0.5
"""The budget of the tests that build their own :class:`Calculations`."""


def _blueprint(identifier: str, **calculations: str) -> dict[str, Any]:
    return {
        "identifier": identifier,
        "title": identifier,
        "schema": {"properties": {"n": {"type": "number"}}},
        "calculationProperties": {
            name: {"calculation": program, "type": "number"}
            for name, program in calculations.items()
        },
    }


def _entities(count: int = 3) -> list[Entity]:
    return [
        {"identifier": f"e{i}", "blueprint": "b", "properties": {"n": i}, "relations": {}}
        for i in range(count)
    ]


def _computed(store: SQLiteStore, budget: float = SHORT) -> Computed:
    return Computed(store, Calculations(budget=budget))


async def _calculated(computed: Computed, **calculations: str) -> list[dict[str, Any]]:
    """The properties of three entities of a blueprint with these calculations."""
    entities = _entities()
    await computed.apply(entities, {"b": _blueprint("b", **calculations)})
    return [dict(entity["properties"]) for entity in entities]


def _gone(pid: int) -> bool:
    """Whether the process has exited (a zombie no parent reaps counts as exited)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] in ("Z", "X")
    except FileNotFoundError:
        return True


async def test_a_calculation_that_never_ends_is_null_within_the_budget_while_others_are_answered(
    tmp_path: Path,
) -> None:
    async with (
        fresh_catalog("sqlite", tmp_path) as store,
        served_as_admin(store) as (_, http),
    ):
        for blueprint in (_blueprint("dos", slow=NEVER_ENDS), _blueprint("fine", double="2")):
            assert (await http.post("/v1/blueprints", json=blueprint)).status_code == 201
            written = await http.post(  # (a bulk write answers no entity: nothing computed)
                f"/v1/blueprints/{blueprint['identifier']}/entities/bulk",
                json={"entities": [{"identifier": "one", "properties": {"n": 1}}]},
            )
            assert written.status_code == 200, written.text
        http.timeout = httpx.Timeout(BUDGET + 30)
        started = time.monotonic()
        stalled = asyncio.create_task(http.get("/v1/blueprints/dos/entities/one"))
        await asyncio.sleep(0.3)  # the read is in its worker
        login = await http.get("/ui/login")
        fine = await http.get("/v1/blueprints/fine/entities/one")
        assert login.status_code == 200 and fine.json()["entity"]["properties"]["double"] == 2
        assert not stalled.done()  # (a second worker answered the other calculation)
        answer = await stalled
        assert answer.status_code == 200 and answer.json()["entity"]["properties"]["slow"] is None
        assert BUDGET <= time.monotonic() - started < BUDGET + 3


async def test_a_calculation_that_allocates_without_end_is_null_and_the_server_survives(
    tmp_path: Path,
) -> None:
    async with (
        fresh_catalog("sqlite", tmp_path) as store,
        served_as_admin(store) as (_, http),
    ):
        http.timeout = httpx.Timeout(BUDGET + 30)
        hog, huge = "[range(1e9)]", '"x" * 1e9 | length'
        blueprint = _blueprint("hog", hog=hog, huge=huge, copy=".properties.n")
        assert (await http.post("/v1/blueprints", json=blueprint)).status_code == 201
        body = {"identifier": "one", "properties": {"n": 1}}
        written = await http.post("/v1/blueprints/hog/entities", json=body)
        assert written.status_code == 201  # its answer is computed: null, within the budget
        seen = [written.json()["entity"]["properties"]]
        for _ in range(2):  # each stops the worker once, then is skipped
            read = await http.get("/v1/blueprints/hog/entities/one")
            assert read.status_code == 200
            seen.append(read.json()["entity"]["properties"])
        assert [(p["hog"], p["huge"]) for p in seen] == [(None, None)] * 3
        assert seen[-1]["copy"] == 1
        listed = await http.get("/v1/blueprints/hog/entities")
        assert listed.json()["entities"][0]["properties"] == seen[-1]


async def test_a_program_out_of_memory_is_logged_once_with_its_blueprint_and_reason(
    sqlite_store: SQLiteStore, caplog: pytest.LogCaptureFixture
) -> None:
    computed = _computed(sqlite_store, budget=BUDGET)
    try:
        with caplog.at_level(logging.WARNING, logger="ocean.server.calculations"):
            for _ in range(3):
                found = await _calculated(computed, huge='"x" * 1e9 | length', n=".properties.n")
                assert [p["huge"] for p in found] == [None] * 3
        assert [p["n"] for p in found] == [0, 1, 2]  # skipped, the next ones run
        (logged,) = caplog.records
        assert "'huge' of blueprint 'b' used more than 512 MiB of memory" in logged.getMessage()
    finally:
        computed.close()


async def test_the_worker_is_replaced_after_a_kill_and_later_reads_skip_the_program(
    sqlite_store: SQLiteStore, caplog: pytest.LogCaptureFixture
) -> None:
    computed = _computed(sqlite_store)
    try:
        first = await _calculated(computed, n=".properties.n")
        (worker,) = computed.calculations.pids()
        started = time.monotonic()
        found = await _calculated(
            computed, a=".properties.n + 10", slow=NEVER_ENDS, b=".properties.n + 10"
        )
        assert SHORT <= time.monotonic() - started < SHORT + 3
        assert [(p["a"], p["slow"], p["b"]) for p in found] == [
            (i + 10, None, None) for i in (0, 1, 2)
        ]
        assert _gone(worker) and computed.calculations.pids() not in ([], [worker])
        found = await _calculated(
            computed, a=".properties.n + 10", slow=NEVER_ENDS, b=".properties.n + 10"
        )
        assert [p["b"] for p in found] == [10, 11, 12] and first[2]["n"] == 2
        (logged,) = [r.getMessage() for r in caplog.records]  # skipped: not run again
        assert "'slow' of blueprint 'b' ran longer than 0.5 s" in logged
    finally:
        computed.close()


async def test_a_worker_killed_while_idle_is_replaced_and_no_program_is_blamed(
    sqlite_store: SQLiteStore, caplog: pytest.LogCaptureFixture
) -> None:
    """An idle worker the OOM killer or a person ends: the next read starts another, and
    its first program is not skipped for what it never ran."""
    computed = _computed(sqlite_store)
    try:
        await _calculated(computed, double=".properties.n * 2")
        (worker,) = computed.calculations.pids()
        os.kill(worker, signal.SIGKILL)
        while not _gone(worker):
            time.sleep(0.01)

        found = await _calculated(computed, double=".properties.n * 2")

        assert [p["double"] for p in found] == [0, 2, 4]
        assert caplog.records == []
    finally:
        computed.close()


async def test_each_program_has_the_budget_of_its_own(sqlite_store: SQLiteStore) -> None:
    """Programs each taking a good part of the budget all give their values (the budget was
    the whole round trip's: large entities or a slow machine nulled the later ones). The
    budget is twice what one program takes on this machine, timed first: the three take
    more than it together, and each has room to spare on a slow or busy machine."""
    spin = ".properties.n as $n | reduce range(4.4e5) as $i (0; . + 1) | . * 0 + $n"
    timing = _computed(sqlite_store, budget=60)
    try:
        await _calculated(timing, a=".properties.n")  # the worker started
        started = time.perf_counter()
        await _calculated(timing, a=spin)
        alone = time.perf_counter() - started
    finally:
        timing.close()
    computed = _computed(sqlite_store, budget=2 * alone)
    try:
        found = await _calculated(computed, a=spin, b=spin, c=spin)
    finally:
        computed.close()
    assert [(p["a"], p["b"], p["c"]) for p in found] == [(i, i, i) for i in range(3)]


async def test_values_larger_than_the_read_allows_are_null_and_the_next_program_runs(
    sqlite_store: SQLiteStore,
) -> None:
    computed = _computed(sqlite_store, budget=BUDGET)
    try:
        found = await _calculated(
            computed, big="[range(1e5)] | tostring", small=".properties.big // .properties.n"
        )
        assert [(p["big"], p["small"]) for p in found] == [(None, 0), (None, 1), (None, 2)]
    finally:
        computed.close()


async def test_a_later_program_sees_the_values_of_the_earlier_ones(
    sqlite_store: SQLiteStore,
) -> None:
    computed = _computed(sqlite_store)
    try:
        entities = _entities(1200)  # three round trips
        blueprint = _blueprint("b", double=".properties.n * 2", plus=".properties.double + 1")
        await computed.apply(entities, {"b": blueprint})
        assert [e["properties"]["plus"] for e in entities] == [2 * i + 1 for i in range(1200)]
    finally:
        computed.close()


async def test_no_worker_starts_without_calculation_properties_and_closing_ends_them(
    sqlite_store: SQLiteStore,
) -> None:
    computed = _computed(sqlite_store)
    entities = _entities()
    await computed.apply(entities, {"b": _blueprint("b")})
    assert computed.calculations.pids() == []
    assert (await _calculated(computed, n=".properties.n + 1"))[2]["n"] == 3
    (worker,) = computed.calculations.pids()
    computed.close()
    assert computed.calculations.pids() == [] and _gone(worker)
    assert (await _calculated(computed, n=".properties.n"))[0]["n"] is None  # closed: null


_SERVER = """
import asyncio, sys
from ocean.server.calculations import Calculations

async def main():
    calculations = Calculations(budget=0.5)
    task = asyncio.ensure_future(calculations.apply("b", [("slow", sys.argv[1])], [{}]))
    while not calculations.pids():
        await asyncio.sleep(0.01)
    print(calculations.pids()[0], flush=True)
    await task

asyncio.run(main())
"""


def test_a_worker_running_a_program_ends_soon_after_the_server_that_started_it() -> None:
    """The server killed: nothing kills the worker in time, its CPU allowance ends it."""
    server = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(_SERVER), NEVER_ENDS], stdout=subprocess.PIPE
    )
    try:
        assert server.stdout is not None
        worker = int(server.stdout.readline())
        time.sleep(0.2)  # running the program
    finally:
        os.kill(server.pid, signal.SIGKILL)
        server.wait()
        server.stdout.close()  # type: ignore[union-attr]
    assert not _gone(worker)
    deadline = time.monotonic() + 20  # 2 s of CPU time (the budget and a second, rounded up)
    while not _gone(worker) and time.monotonic() < deadline:
        time.sleep(0.05)
    if not _gone(worker):
        os.kill(worker, signal.SIGKILL)
        raise AssertionError("the worker outlived its server")
