"""A NUL (U+0000) in a stored JSON text: PostgreSQL's ``jsonb`` refuses one, so the
catalog's queries that read inside bodies and run reports must not fail on a row that
holds one (an entity's property; an exception's message in a report)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from ocean.store.base import Owner, RunRecord, Store
from ocean.store.browse import Browse
from ocean.store.lease import LeaseHolder
from ocean.store.paging import browse
from ocean.store.postgres.store import PostgresStore
from tests.store.postgres import connected

BLUEPRINT = {
    "identifier": "svc",
    "title": "Service",
    "schema": {"properties": {"url": {"type": "string"}}},
}
OWNER = Owner("x", "y")


async def test_a_nul_in_a_body_fails_neither_the_text_search_nor_the_sort(store: Store) -> None:
    await store.create_blueprints([BLUEPRINT])
    entities: list[Any] = [
        {"identifier": "good", "blueprint": "svc", "title": "Good one",
         "properties": {"url": "https://ok"}},
        {"identifier": "bad", "blueprint": "svc", "title": "Bad one",
         "properties": {"url": "a\x00b"}},
        {"identifier": "odd", "blueprint": "svc", "title": "Odd",
         "properties": {"url": "\\u0000 \\\x00"}},
    ]  # fmt: skip
    await store.upsert_entities(entities, owner=OWNER, merge=False)

    pages = [
        await browse(store, Browse("svc", text="one")),
        await browse(store, Browse("svc", sort="url")),
        await browse(store, Browse("svc", sort="$title", descending=True)),
    ]

    assert [[e["identifier"] for e in page.entities] for page in pages] == [
        ["bad", "good"],
        ["odd", "bad", "good"],
        ["odd", "good", "bad"],
    ]
    assert pages[0].entities[0]["properties"]["url"] == "a\x00b"  # (stored as it came)


@pytest.fixture
async def postgres(postgres_url: str) -> AsyncIterator[PostgresStore]:
    opened = await PostgresStore.open(postgres_url)
    yield opened
    await opened.close()


def _run(status: str, errors: list[str], run_id: int | None = None) -> RunRecord:
    report = {"status": status, "kinds": [], "errors": errors}
    return RunRecord("me", "start", "2024-01-01T00:00:00Z", None, status, report, id=run_id)


async def test_a_nul_in_a_run_s_report_fails_no_later_resync(postgres: PostgresStore) -> None:
    run_id = await postgres.record_run(_run("running", []))
    await postgres.record_run(_run("completed", ["the handler raised: bad \x00 byte"], run_id))

    last = await postgres.last_completed_run("me")

    assert last is not None and last.id == run_id
    assert last.report["errors"] == ["the handler raised: bad \\u0000 byte"]  # (as text)


async def test_reports_recorded_with_a_nul_before_are_read_and_abandoned(
    postgres: PostgresStore, postgres_url: str
) -> None:
    """As an earlier version recorded them: the escaped NUL in the stored text."""
    db = await connected(postgres_url)
    try:
        for status in ("completed", "running"):
            await db.execute(
                "INSERT INTO runs(integration, trigger, started_at, status, report) "
                "VALUES ('me', 'start', 'x', $1, $2)",
                status,
                f'{{"status":"{status}","kinds":[],"errors":["a\\u0000b"]}}',
            )
    finally:
        await db.close()

    last = await postgres.last_completed_run("me")
    holder = LeaseHolder(id="new", host="h", pid=1)
    lease = await postgres.acquire_lease("me", holder, 30)  # marks the running one aborted
    runs = await postgres.list_runs()

    assert last is not None and last.report["errors"] == ["a\x00b"]
    assert lease.holder == holder
    assert [run.status for run in runs] == ["aborted", "completed"]
    assert runs[0].report["errors"][0] == "a\ufffdb"
