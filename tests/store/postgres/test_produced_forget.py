"""Forgetting a run's many marks by emptying the table: only when no other run has any and
no other session uses the table; marks another run is making meanwhile are kept."""

from __future__ import annotations

import asyncio

from ocean.store.postgres import produced
from ocean.store.postgres.store import PostgresStore
from tests.store.postgres import connected


async def test_marks_made_meanwhile_by_another_run_are_kept(postgres_url: str) -> None:
    store = await PostgresStore.open(postgres_url)
    await store.mark_produced("gh#1", [("svc", f"s{n}") for n in range(produced.MANY)])
    other = await connected(postgres_url)
    try:
        writing = other.transaction()
        await writing.start()  # another integration's run marks a key, not yet committed
        await other.execute(
            "INSERT INTO resync_produced(run, blueprint, identifier) VALUES ('jira#1', 'svc', 'a')"
        )
        async with asyncio.timeout(5):  # the table in use: its rows deleted, no lock waited for
            await store.forget_produced("gh#")
        await writing.commit()
        left = await other.fetch("SELECT run, identifier FROM resync_produced ORDER BY run")
    finally:
        await other.close()
        await store.close()

    assert [tuple(row) for row in left] == [("jira#1", "a")]


async def test_many_marks_of_the_only_runs_are_emptied_at_once(postgres_url: str) -> None:
    store = await PostgresStore.open(postgres_url)
    await store.mark_produced("gh#1", [("svc", f"s{n}") for n in range(produced.MANY)])
    await store.mark_produced("gh#2", [("svc", "a")])
    other = await connected(postgres_url)
    try:
        node = await other.fetchval(
            "SELECT relfilenode FROM pg_class WHERE oid = 'resync_produced'::regclass"
        )
        await store.forget_produced("gh#")
        emptied = await other.fetchval(
            "SELECT relfilenode FROM pg_class WHERE oid = 'resync_produced'::regclass"
        )
        left = await other.fetchval("SELECT count(*) FROM resync_produced")
    finally:
        await other.close()
        await store.close()

    assert left == 0
    assert emptied != node  # TRUNCATE gave the table a new file
