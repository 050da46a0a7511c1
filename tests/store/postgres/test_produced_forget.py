"""Forgetting a run's many marks by emptying the table: only when no other run has any,
and marks another run is making meanwhile are kept."""

from __future__ import annotations

import asyncio

from ocean.store.postgres import produced
from ocean.store.postgres.store import PostgresStore
from tests.store.postgres import connected, until_waiting


async def test_marks_made_meanwhile_by_another_run_are_kept(postgres_url: str) -> None:
    store = await PostgresStore.open(postgres_url)
    await store.mark_produced("gh#1", [("svc", f"s{n}") for n in range(produced.MANY)])
    other = await connected(postgres_url)
    watcher = await connected(postgres_url)
    try:
        writing = other.transaction()
        await writing.start()  # another integration's run marks a key, not yet committed
        await other.execute(
            "INSERT INTO resync_produced(run, blueprint, identifier) VALUES ('jira#1', 'svc', 'a')"
        )
        forgetting = asyncio.create_task(store.forget_produced("gh#"))
        await until_waiting(watcher)  # the emptying waits for the other run's transaction
        await writing.commit()
        await forgetting
        left = await other.fetch("SELECT run, identifier FROM resync_produced ORDER BY run")
    finally:
        await other.close()
        await watcher.close()
        await store.close()

    assert [tuple(row) for row in left] == [("jira#1", "a")]
