"""Concurrent ``ocean sail`` processes of one integration on one catalog: one resync at a
time (the catalog's lease). Real processes, real SQLite file and PostgreSQL schema."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator

import pytest

from ocean.store.lease import LeaseHolder, LeasesResyncs
from ocean.store.open import open_store
from tests.conftest import TEAMS, Workspace, services
from tests.loopback import free_port

ME = "my-integration-integration"
PROBE = LeaseHolder(id="probe", host="test", pid=0)
LEASE = "5"
"""The sails' lease, in seconds: long enough for a loaded machine to renew it in time and
to start the next sail while a killed holder's still holds (2 was not)."""


@pytest.fixture(params=["sqlite", "postgresql"])
def catalog(request: pytest.FixtureRequest, workspace: Workspace, postgres_url: str) -> str:
    return str(workspace.catalog) if request.param == "sqlite" else postgres_url


StartSail = Callable[..., "subprocess.Popen[str]"]


@pytest.fixture
def start_sail() -> Iterator[StartSail]:
    """Starts ``ocean sail`` processes; any a failed test left running is killed and reaped."""
    started: list[subprocess.Popen[str]] = []

    def start(workspace: Workspace, catalog: str, *args: str, **env: str) -> subprocess.Popen[str]:
        environ = os.environ | workspace.environ | {"OCEAN__RESYNC_LEASE_SECONDS": LEASE} | env
        command = [sys.executable, "-m", "ocean", "sail", str(workspace.folder), "--quiet",
                   "--catalog", catalog, *args]  # fmt: skip
        process = subprocess.Popen(command, env=environ, cwd=workspace.root, text=True,
                                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)  # fmt: skip
        started.append(process)
        return process

    yield start
    for process in started:
        if process.poll() is None:
            process.kill()
        process.communicate(timeout=30)


async def runs(catalog: str) -> list[str]:
    store = await open_store(catalog)
    try:
        return [run.status for run in reversed(await store.list_runs())]
    finally:
        await store.close()


async def holder_pid(catalog: str, within: float = 20) -> int:
    """The pid of the process holding the lease, once one does (a probe that finds it free
    takes it for no time at all)."""
    store = await open_store(catalog)
    assert isinstance(store, LeasesResyncs)
    try:
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            lease = await store.acquire_lease(ME, PROBE, 0)
            if lease.holder is not None and lease.holder != PROBE:
                return lease.holder.pid
            await asyncio.sleep(0.05)
    finally:
        await store.close()
    raise AssertionError("no process took the lease")


async def lease_free(catalog: str, within: float = 20) -> None:
    """Once no process holds the lease (a probe that finds it free takes it for no time)."""
    store = await open_store(catalog)
    assert isinstance(store, LeasesResyncs)
    try:
        async with asyncio.timeout(within):
            while (await store.acquire_lease(ME, PROBE, 0)).holder != PROBE:
                await asyncio.sleep(0.05)
    finally:
        await store.close()


async def prepared(workspace: Workspace, catalog: str, **extra: str) -> None:
    """The catalog created (and migrated) before the processes race for its lease."""
    store = await open_store(catalog)
    await store.close()
    pages = [services(2, start=n * 2) for n in range(6)]
    workspace.set_data(services=pages, teams=TEAMS, slow=0.4, **extra)


async def test_two_sails_at_once_one_completes_the_other_refuses_naming_the_holder(
    workspace: Workspace, catalog: str, start_sail: StartSail
) -> None:
    hold = workspace.root / "hold"  # the first resync waits at its first page meanwhile
    hold.touch()
    await prepared(workspace, catalog, hold_while=str(hold))
    first = start_sail(workspace, catalog, "--once")
    holder = await holder_pid(catalog)
    second = start_sail(workspace, catalog, "--once")

    _, refused = second.communicate(timeout=60)
    hold.unlink()
    first.communicate(timeout=60)

    assert holder == first.pid
    assert (first.returncode, second.returncode) == (0, 2)
    assert f"another resync of integration {ME!r} is running on this catalog" in refused
    assert f"pid {first.pid}, since " in refused and "wrote nothing" in refused
    assert await runs(catalog) == ["completed"]
    assert len(await workspace.entities("service", catalog)) == 12


async def test_a_killed_holder_blocks_until_its_lease_lapses_then_the_next_sail_completes(
    workspace: Workspace, catalog: str, start_sail: StartSail
) -> None:
    await prepared(workspace, catalog)
    killed = start_sail(workspace, catalog, "--once")
    assert await holder_pid(catalog) == killed.pid
    os.kill(killed.pid, signal.SIGKILL)
    killed.communicate(timeout=30)

    refused = start_sail(workspace, catalog, "--once")
    _, message = refused.communicate(timeout=60)
    assert refused.returncode == 2 and f"pid {killed.pid}" in message
    await lease_free(catalog)  # the dead holder's lease lapsed
    after = start_sail(workspace, catalog, "--once")
    _, errors = after.communicate(timeout=60)

    assert after.returncode == 0, errors
    recorded = await runs(catalog)  # the killed run is aborted when the next takes the lease
    assert recorded[-1] == "completed" and set(recorded[:-1]) <= {"aborted"}
    assert len(await workspace.entities("service", catalog)) == 12


async def test_replicas_on_postgres_one_resyncs_and_another_takes_over_when_it_dies(
    workspace: Workspace, postgres_url: str, start_sail: StartSail
) -> None:
    await prepared(workspace, postgres_url)
    replicas = [
        start_sail(
            workspace, postgres_url, "--port", str(port), OCEAN__EVENT_LISTENER__INTERVAL="0.2"
        )  # fmt: skip
        for port in (free_port(), free_port(), free_port())
    ]
    try:
        holder = await holder_pid(postgres_url)
        await asyncio.sleep(0.5)  # mid-resync
        os.kill(holder, signal.SIGKILL)
        deadline = time.monotonic() + 60
        while "completed" not in await runs(postgres_url) and time.monotonic() < deadline:
            await asyncio.sleep(0.2)
        await asyncio.sleep(1)  # the standing-by replica sees the completion
    finally:
        for replica in replicas:
            if replica.poll() is None:
                replica.terminate()
        for replica in replicas:
            replica.communicate(timeout=30)

    assert await runs(postgres_url) == ["aborted", "completed"]  # one take-over, no repeat
    assert len(await workspace.entities("service", postgres_url)) == 12


async def test_replicas_run_one_resync_per_request_the_late_one_does_not_repeat_it(
    workspace: Workspace, catalog: str, start_sail: StartSail
) -> None:
    """A request (``ocean catalog resync``) seen by one replica after another has already
    run it to completion is not run again: with N replicas checking at their own moments,
    each request made N resyncs, one after another (before, here 2 of 2)."""
    store = await open_store(catalog)
    await store.close()
    workspace.set_data(services=[services(2, start=n * 2) for n in range(3)], teams=TEAMS)
    fast, late = (
        start_sail(
            workspace, catalog, "--port", str(free_port()), OCEAN__EVENT_LISTENER__INTERVAL="0.2"
        )  # fmt: skip
        for _ in range(2)
    )
    try:
        deadline = time.monotonic() + 60
        while (await runs(catalog)).count("completed") < 2 and time.monotonic() < deadline:
            await asyncio.sleep(0.2)  # both start resyncs, one after the other
        await lease_free(catalog)
        started = len(await runs(catalog))
        os.kill(late.pid, signal.SIGSTOP)  # the late replica checks after the other has run it
        try:
            store = await open_store(catalog)
            try:
                await store.request_resync(ME)
            finally:
                await store.close()
            while len(await runs(catalog)) == started and time.monotonic() < deadline:
                await asyncio.sleep(0.1)
            await lease_free(catalog)
        finally:
            os.kill(late.pid, signal.SIGCONT)
        await asyncio.sleep(3)  # the late replica sees the request now
    finally:
        for replica in (fast, late):
            replica.terminate()
        for replica in (fast, late):
            replica.communicate(timeout=30)

    assert (await runs(catalog))[started:] == ["completed"]
