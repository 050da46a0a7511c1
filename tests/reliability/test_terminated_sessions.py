"""A PostgreSQL catalog's sessions terminated under a long-running store (a failover, a
proxy restarted or timing out idle sessions: ``pg_terminate_backend`` here): each call
that loses its session fails as an outage (:class:`CatalogUnavailableError`, which callers
retry), and the polling listener logs it and goes on."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable

import asyncpg
import pytest

from ocean.errors import CatalogUnavailableError
from ocean.job import SilentObserver
from ocean.listen.polling import poll
from ocean.monitor.report import ResyncReport
from ocean.sail import prepare
from ocean.store.base import Owner
from ocean.store.postgres.store import PostgresStore
from ocean.types import Entity
from tests.conftest import POSTGRES_URL, TEAMS, Workspace, services

OWNER = Owner("svc", "svc")


@pytest.fixture
def named_url(postgres_url: str) -> str:
    """The catalog URL, its sessions named after its schema (to terminate only those)."""
    return f"{postgres_url}&application_name={_name(postgres_url)}"


def _svc(identifier: str) -> Entity:
    return {"identifier": identifier, "blueprint": "svc"}


def _name(url: str) -> str:
    return url.split("schema=", 1)[1].split("&", 1)[0]


@contextlib.asynccontextmanager
async def terminating(url: str, every: float) -> AsyncIterator[list[int]]:
    """Terminate the sessions of ``url``'s schema every ``every`` seconds meanwhile; the
    list holds how many were terminated each time."""
    admin = await asyncpg.connect(POSTGRES_URL)
    terminated: list[int] = []

    async def terminate() -> None:
        while True:
            await asyncio.sleep(every)
            terminated.append(
                await admin.fetchval(
                    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                    "WHERE application_name = $1",
                    _name(url),
                )
            )

    task = asyncio.create_task(terminate())
    try:
        yield terminated
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await admin.close()


async def test_calls_that_lose_their_sessions_fail_as_outages_and_the_store_goes_on(
    named_url: str,
) -> None:
    store = await PostgresStore.open(named_url)
    await store.create_blueprints([{"identifier": "svc", "title": "Svc", "schema": {}}])
    failures: list[BaseException] = []
    try:
        async with terminating(named_url, 0.3) as terminated:
            for round_ in range(25):
                batches = [[_svc(f"e{round_}-{half}-{i}") for i in range(1500)] for half in (0, 1)]
                outcomes = await asyncio.gather(
                    *(store.upsert_entities(batch, owner=OWNER, merge=True) for batch in batches),
                    store.resync_requested_at("svc"),
                    return_exceptions=True,
                )
                failures += [o for o in outcomes if isinstance(o, BaseException)]
        # a session ended as the terminator stopped may still be in the pool: the call that
        # finds it fails as an outage, as any call that loses its session, and the next
        # connects again
        for attempt in range(2):
            try:
                await store.upsert_entities([_svc("after")], owner=OWNER, merge=True)
                break
            except CatalogUnavailableError:
                if attempt:
                    raise
        assert await store.get_entities("svc", ["after"])
    finally:
        await store.close()

    assert sum(terminated) > 0 and failures
    assert [f for f in failures if not isinstance(f, CatalogUnavailableError)] == []


async def test_a_polling_listener_whose_sessions_are_terminated_goes_on(
    workspace: Workspace, named_url: str
) -> None:
    workspace.set_data(services=[services(5)], teams=TEAMS)
    workspace.environ["OCEAN__EVENT_LISTENER__INTERVAL"] = "0.01"
    prepared = prepare(workspace.folder, environ=workspace.environ, overrides={})
    store = await PostgresStore.open(named_url)
    reports: list[ResyncReport] = []
    stop = asyncio.Event()
    listener = asyncio.create_task(
        poll(prepared, store, SilentObserver(), stop=stop, on_report=reports.append)
    )
    try:
        await _until(lambda: len(reports) == 1)
        async with terminating(named_url, 0.05) as terminated:
            await asyncio.sleep(2)  # idle: checking the requests every interval
        assert sum(terminated) > 0
        assert not listener.done()
        await store.request_resync(prepared.owner.identifier)
        await _until(lambda: len(reports) == 2 or listener.done())
    finally:
        stop.set()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(listener, timeout=10)
        await store.close()

    assert listener.exception() is None
    assert [(r.trigger, r.status) for r in reports] == [
        ("start", "completed"),
        ("request", "completed"),
    ]


async def _until(condition: Callable[[], bool], seconds: float = 30) -> None:
    async with asyncio.timeout(seconds):
        while not condition():
            await asyncio.sleep(0.01)
