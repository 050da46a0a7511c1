"""An ACTIONS_ONLY ``ocean sail`` (the shipped fake integration, a real process, against
Ocean's catalog server on loopback) whose execution manager stops: taking action runs is
all it does, so it exits non-zero saying why and what to do, rather than stay up, its
health answering ok, taking no run."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from ocean.server.app import create_app
from ocean.store.credentials import KeepsCredentials
from tests import loopback
from tests.actions.helpers import Fault, Faulty, wait_for
from tests.server.serving import fresh_catalog

FAKE = Path(__file__).resolve().parents[2] / "integrations" / "fake"
CLAIM = "/v1/actions/runs/claim-pending"
STOPPED = (
    "the execution manager stopped, and with it this ACTIONS_ONLY sail (taking action runs "
    "is all it does; it does not stay up taking none)"
)


@dataclass
class Catalog:
    base: str
    store: KeepsCredentials
    network: Faulty


@pytest.fixture
async def catalog(tmp_path: Path) -> AsyncIterator[Catalog]:
    async with fresh_catalog("sqlite", tmp_path) as store:
        network = Faulty(create_app(store))
        async with loopback.served(network) as base:
            yield Catalog(base, store, network)


async def _sail(
    catalog: Catalog, folder: Path, credential: tuple[str, str], port: int
) -> asyncio.subprocess.Process:
    env = os.environ | {
        "OCEAN__CATALOG__URL": catalog.base,
        "OCEAN__PORT__CLIENT_ID": credential[0],
        "OCEAN__PORT__CLIENT_SECRET": credential[1],
        "OCEAN__EVENT_LISTENER__TYPE": "ACTIONS_ONLY",
        "OCEAN__ACTIONS_PROCESSOR__POLL_CHECK_INTERVAL_SECONDS": "0.1",
    }
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "ocean", "sail", str(FAKE), "--port", str(port), "--quiet",
        env=env, cwd=folder, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip


async def _arrived(fault: Fault, count: int) -> None:
    """Wait until ``count`` requests met ``fault``."""

    async def enough() -> bool:
        return len(fault.arrived) >= count

    await wait_for(enough, 60)


async def _ended(process: asyncio.subprocess.Process, seconds: float = 60) -> tuple[int, str]:
    """The process's exit status and what it wrote, once it exits (killed after
    ``seconds``: it stayed up)."""
    try:
        out, err = await asyncio.wait_for(process.communicate(), seconds)
    except TimeoutError:
        process.kill()
        await process.wait()
        raise AssertionError(f"the sail was still up after {seconds} s") from None
    assert process.returncode is not None
    return process.returncode, (err + out).decode()


async def test_a_refused_claim_stops_an_actions_only_sail(catalog: Catalog, tmp_path: Path) -> None:
    refused = catalog.network.add(
        Fault(
            "POST",
            CLAIM,
            times=1000,
            status=403,
            error="forbidden",
            message="this credential may not claim the runs of this integration",
        )
    )
    process = await _sail(
        catalog, tmp_path, await catalog.store.create_credentials("s"), loopback.free_port()
    )
    status, said = await _ended(process)
    assert refused.arrived  # it did claim
    assert status == 2, said
    assert f"error: {STOPPED}: the catalog refused to hand out the action runs" in said
    assert "this credential may not claim the runs of this integration" in said
    assert "Traceback" not in said


async def test_a_credential_revoked_while_it_runs_stops_an_actions_only_sail(
    catalog: Catalog, tmp_path: Path
) -> None:
    credential = await catalog.store.create_credentials("sync")
    port = loopback.free_port()
    # handed on, noticed: the second read of the integration is the last call of its start
    record = catalog.network.add(Fault("GET", r"/v1/integration/[^/]+", times=2, delay=0.001))
    process = await _sail(catalog, tmp_path, credential, port)
    try:
        await _arrived(record, 2)
        claims = catalog.network.add(Fault("POST", CLAIM, times=2, delay=0.001))
        await _arrived(claims, 2)  # a poll apart: started
        async with httpx.AsyncClient() as client:
            assert (await client.get(f"http://127.0.0.1:{port}/health")).status_code == 200
    except BaseException:
        process.kill()
        await process.wait()
        raise
    await catalog.store.revoke_credential(credential[0])
    status, said = await _ended(process)
    assert status == 2, said
    assert f"error: {STOPPED}: the catalog did not accept Ocean's client id and secret" in said
    assert "POST /auth/access_token answered 401" in said and "revoked" in said
    assert "OCEAN__PORT__CLIENT_ID and OCEAN__PORT__CLIENT_SECRET" in said
    assert "Traceback" not in said
