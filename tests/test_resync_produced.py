"""A resync keeps what it produced in the catalog (SQLite, PostgreSQL), not in memory:
stale deletion comes out as before, skipped pages' keys count as produced, and the
run's rows are gone when it ends."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from typing import Any

import asyncpg
import pytest

from ocean import produced
from ocean.errors import StoreError
from ocean.store.postgres.store import PostgresStore
from ocean.store.sqlite.store import SQLiteStore
from tests.conftest import DEFAULT_MAPPING, TEAMS, Workspace, services


async def _rows_left(workspace: Workspace, catalog: str | None) -> int:
    if catalog is None:

        def count() -> int:
            with contextlib.closing(sqlite3.connect(workspace.catalog)) as db:
                return int(db.execute("SELECT count(*) FROM resync_produced").fetchone()[0])

        return await asyncio.to_thread(count)
    base, schema = catalog.rsplit("?schema=", 1)
    connection = await asyncpg.connect(base)
    try:
        return int(await connection.fetchval(f'SELECT count(*) FROM "{schema}".resync_produced'))
    finally:
        await connection.close()


@pytest.fixture(params=["sqlite", "postgresql"])
def catalog(request: pytest.FixtureRequest, postgres_url: str) -> str | None:
    return None if request.param == "sqlite" else postgres_url


async def test_only_vanished_entities_go_and_skipped_pages_count_as_produced(
    workspace: Workspace, catalog: str | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(produced, "FLUSH_AT", 3)  # many small flushes
    pages = [services(10, start=10 * page) for page in range(4)]
    workspace.set_data(services=pages, teams=TEAMS)
    await workspace.sail(catalog)
    pages[2] = pages[2][:-1]  # svc-29 vanishes; the other pages are unchanged
    workspace.set_data(services=pages, teams=TEAMS)

    report = await workspace.sail(catalog)

    assert report.status == "completed"
    assert sum(kind.unchanged_pages for kind in report.kinds) >= 3
    assert report.deleted == 1
    stored = await workspace.entities("service", catalog=catalog)
    assert sorted(stored) == sorted(f"svc-{i}" for i in range(40) if i != 29)
    assert await _rows_left(workspace, catalog) == 0


async def test_each_blueprint_s_threshold_counts_what_the_run_produced(
    workspace: Workspace, catalog: str | None
) -> None:
    workspace.set_mapping(DEFAULT_MAPPING | {"entityDeletionThreshold": 0.6})
    workspace.set_data(services=[services(10)], teams=TEAMS)
    await workspace.sail(catalog)
    workspace.set_data(services=[services(5)], teams=TEAMS)

    halved = await workspace.sail(catalog)  # 5 stale of the 10 services: allowed
    workspace.set_data(services=[services(1)], teams=TEAMS)
    emptied = await workspace.sail(catalog)  # 4 of 5 services (4 of 7 in all): kept

    assert halved.deleted == 5
    assert emptied.deleted == 0
    assert any("4 of its 5 entities" in note for note in emptied.deletion_notes)
    assert len(await workspace.entities("service", catalog=catalog)) == 5


async def test_a_first_sync_marks_nothing_and_a_rerun_marks_what_it_left(
    workspace: Workspace, catalog: str | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    marked: list[tuple[str, str]] = []
    for store_class in (SQLiteStore, PostgresStore):
        original = store_class.mark_produced

        async def spy(
            self: Any, run: str, keys: list[tuple[str, str]], *, _o: Any = original
        ) -> None:
            marked.extend(keys)
            await _o(self, run, keys)

        monkeypatch.setattr(store_class, "mark_produced", spy)
    workspace.set_data(services=[services(5)], teams=TEAMS)

    await workspace.sail(catalog)
    first = list(marked)
    workspace.set_data(services=[services(4), services(1, start=4)], teams=TEAMS)  # new pages
    rerun = await workspace.sail(catalog)

    assert first == []  # everything written: newer than the start, no mark needed
    assert rerun.total("unchanged") == 7
    # the run's sentinel first (checked before deleting: the marks are all there); then the
    # pages mapped again mark what they left; the teams' page, skipped as unchanged, is
    # marked by the catalog as it is claimed (its keys; on PostgreSQL, the page)
    assert marked == [("", ""), *sorted(marked[1:])]
    assert sorted(marked[1:]) == [("service", f"svc-{i}") for i in range(5)]
    assert [kind.unchanged_pages for kind in rerun.kinds] == [1, 0]


async def test_a_first_sync_asks_for_no_stale_candidates_a_rerun_does(
    workspace: Workspace, catalog: str | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    asked: list[str] = []
    for store_class in (SQLiteStore, PostgresStore):
        original = store_class.unproduced_owned_page

        async def spy(self: Any, *args: Any, _o: Any = original, **kwargs: Any) -> Any:
            asked.append("page")
            return await _o(self, *args, **kwargs)

        monkeypatch.setattr(store_class, "unproduced_owned_page", spy)
    workspace.set_data(services=[services(5)], teams=TEAMS)

    await workspace.sail(catalog)  # the integration owned nothing: nothing can be stale
    first = len(asked)
    workspace.set_data(services=[services(4)], teams=TEAMS)
    rerun = await workspace.sail(catalog)

    assert (first, rerun.deleted) == (0, 1)
    assert len(asked) >= 1


def _losing_marks_while_marking(store_class: Any) -> tuple[str, Any]:
    original = store_class.mark_produced

    async def crashed(self: Any, run: str, keys: Any) -> None:
        if keys == [("", "")]:  # the run's sentinel, marked first
            return await original(self, run, keys)
        await original(self, run, keys[:10])
        await self.forget_produced(run.split("#", 1)[0] + "#")  # all marked so far
        return await original(self, run, keys[10:])

    return "mark_produced", crashed


def _losing_marks_before_the_stale_read(store_class: Any) -> tuple[str, Any]:
    original = store_class.unproduced_owned_page

    async def crashed(self: Any, owner: Any, run: str, **options: Any) -> Any:
        await self.forget_produced(run.split("#", 1)[0] + "#")
        return await original(self, owner, run, **options)

    return "unproduced_owned_page", crashed


@pytest.mark.parametrize(
    "losing",
    [_losing_marks_while_marking, _losing_marks_before_the_stale_read],
    ids=["while marking: a few look stale", "before the stale read: all look stale"],
)
async def test_a_run_whose_marks_the_catalog_lost_deletes_nothing_and_the_next_converges(
    workspace: Workspace, catalog: str | None, monkeypatch: pytest.MonkeyPatch, losing: Any
) -> None:
    """The catalog loses the marks the run made so far, as a PostgreSQL server empties them
    when it recovers from a crash (an UNLOGGED table), and the run goes on: what it left
    unchanged would look stale, a few entities (under the threshold) or all of them (the
    threshold would keep them, blaming the source). It deletes nothing and says why; the
    next run deletes only what vanished."""
    workspace.environ["OCEAN__SKIP_UNCHANGED_PAGES"] = "false"  # every page mapped, marked
    pages = [services(10, start=10 * page) for page in range(3)]
    workspace.set_data(services=pages, teams=TEAMS)
    await workspace.sail(catalog)
    pages[2] = pages[2][:-1]  # svc-29 vanishes
    workspace.set_data(services=pages, teams=TEAMS)
    for store_class in (SQLiteStore, PostgresStore):
        monkeypatch.setattr(store_class, *losing(store_class))

    with pytest.raises(StoreError, match="lost the keys this resync recorded as produced"):
        await workspace.sail(catalog)
    kept = await workspace.entities("service", catalog=catalog)
    monkeypatch.undo()
    converged = await workspace.sail(catalog)

    assert len(kept) == 30
    assert converged.status == "completed" and converged.deleted == 1
    stored = await workspace.entities("service", catalog=catalog)
    assert sorted(stored) == sorted(f"svc-{i}" for i in range(30) if i != 29)
