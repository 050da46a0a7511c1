"""Writes and a resync's start are stamped by the PostgreSQL server's clock, so replicas on
hosts whose clocks disagree agree on what was written since a resync started (a replica
whose clock ran behind stamped a live event's write as older than the start, and the
resync deleted it)."""

from __future__ import annotations

import contextlib
import datetime as dt
import types
from collections.abc import AsyncIterator

import pytest

import ocean.store.base
from ocean.store.postgres.clock import READ_EVERY, ServerClock
from ocean.store.postgres.store import PostgresStore
from tests.store.postgres import BLUEPRINT, OWNER, connected


class _Monotonic:
    def __init__(self) -> None:
        self.value = 1000.0

    def __call__(self) -> float:
        return self.value


class _Server:
    """A pool of one connection to a server whose clock is an hour ahead of this host's,
    answering at once."""

    @contextlib.asynccontextmanager
    async def acquire(self) -> AsyncIterator[_Server]:
        yield self

    async def fetchval(self, query: str) -> dt.datetime:
        return dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)


class _HourBehind(dt.datetime):
    """This host's clock, an hour behind the server's."""

    @classmethod
    def now(cls, tz: dt.tzinfo | None = None) -> _HourBehind:
        moment = dt.datetime.now(tz) - dt.timedelta(hours=1)
        return cls.fromtimestamp(moment.timestamp(), tz)


def _parsed(stamp: str) -> dt.datetime:
    return dt.datetime.fromisoformat(stamp.replace("Z", "+00:00"))


async def test_the_clock_counts_on_from_the_servers_time_by_this_processs_monotonic_clock() -> None:
    monotonic, server = _Monotonic(), _Server()
    clock = ServerClock(monotonic)
    await clock.read(server)  # type: ignore[arg-type]
    first = _parsed(clock.now())
    monotonic.value += 10.0

    later = _parsed(clock.now())

    host = dt.datetime.now(dt.UTC)
    assert dt.timedelta(minutes=59) < first - host < dt.timedelta(hours=1)
    assert later - first == dt.timedelta(seconds=10)


@pytest.mark.parametrize(("elapsed", "due"), [(READ_EVERY - 1, False), (READ_EVERY, True)])
async def test_the_servers_time_is_read_again_when_due(elapsed: float, due: bool) -> None:
    monotonic = _Monotonic()
    clock = ServerClock(monotonic)
    assert clock.due()
    await clock.read(_Server())  # type: ignore[arg-type]
    monotonic.value += elapsed

    assert clock.due() is due


async def test_a_write_and_the_stores_time_are_the_servers_whatever_this_hosts_clock_says(
    postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    host_clock = types.SimpleNamespace(datetime=_HourBehind, UTC=dt.UTC, timedelta=dt.timedelta)
    monkeypatch.setattr(ocean.store.base, "dt", host_clock)
    store = await PostgresStore.open(postgres_url)
    db = await connected(postgres_url)
    try:
        await store.create_blueprints([BLUEPRINT])
        before = _parsed(await store.now())
        await store.upsert_entities(
            [{"identifier": "a", "blueprint": "svc"}], owner=OWNER, merge=False
        )
        written = _parsed(await db.fetchval("SELECT updated_at FROM entities"))
        server = await db.fetchval("SELECT clock_timestamp()")
    finally:
        await db.close()
        await store.close()

    assert before <= written <= server
    assert server - before < dt.timedelta(seconds=5)
