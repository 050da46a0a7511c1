"""What a resync produced, kept by the catalog per run (SQLite and PostgreSQL)."""

from __future__ import annotations

import asyncio

import pytest

from ocean.errors import StoreError
from ocean.produced import Produced
from ocean.store.base import Owner, PageRecord, Store, now_iso
from ocean.store.page_records import ClaimsPages, PageShelf
from ocean.store.produced import RecordsProduced

OWNER = Owner("github", "gh-1", "1.0.0")
OTHER = Owner("jira", "jira-1", "2.0.0")
BLUEPRINTS = [
    {"identifier": bp, "title": bp, "schema": {"properties": {}}, "relations": {}}
    for bp in ("svc", "team")
]


async def _seed(store: Store) -> str:
    started, _ = await _seeded(store)
    return started


async def _seeded(store: Store) -> tuple[str, dict[str, int]]:
    """The time after the seed's writes, and each entity's version."""
    await store.create_blueprints(BLUEPRINTS)
    mine = [{"identifier": f"s{i:02d}", "blueprint": "svc", "title": "S"} for i in range(12)]
    mine.append({"identifier": "core", "blueprint": "team", "title": "Core"})
    outcomes = await store.upsert_entities(mine, owner=OWNER, merge=True)  # type: ignore[arg-type]
    theirs = [{"identifier": "x", "blueprint": "svc", "title": "X"}]
    outcomes += await store.upsert_entities(theirs, owner=OTHER, merge=True)  # type: ignore[arg-type]
    return now_iso(), {str(o.identifier): o.version or 0 for o in outcomes}


async def test_unproduced_owned_keys_come_in_pages_without_the_run_s_keys(store: Store) -> None:
    assert isinstance(store, RecordsProduced)
    started = await _seed(store)
    await store.mark_produced("run-1", [("svc", f"s{i:02d}") for i in range(0, 12, 2)])
    await store.mark_produced("run-1", [("svc", "s00"), ("team", "core")])  # twice: once
    await store.mark_produced("run-2", [("svc", "s01")])  # another run's keys do not count

    pages, after = [], None
    while True:
        keys, after = await store.unproduced_owned_page(
            OWNER, "run-1", before=started, after=after, limit=2
        )
        pages.append(keys)
        if after is None:
            break

    assert [key for page in pages for key in page] == [
        ("svc", f"s{i:02d}") for i in range(1, 12, 2)
    ]
    assert all(len(page) <= 2 for page in pages)
    assert await store.produced_counts(OWNER, "run-1", since=started) == {"svc": 6, "team": 1}
    among = await store.produced_among(
        OWNER, "run-1", [("svc", "s00"), ("svc", "s01"), ("svc", "x")]
    )
    assert among == {("svc", "s00")}


async def test_entities_written_after_the_start_are_produced_without_a_mark(store: Store) -> None:
    assert isinstance(store, RecordsProduced)
    started = await _seed(store)
    await asyncio.sleep(0.01)  # the next write is stamped after the start
    await store.upsert_entities(  # written during the resync, by anyone
        [{"identifier": "s03", "blueprint": "svc", "title": "New"}],  # type: ignore[list-item]
        owner=OWNER,
        merge=True,
    )

    await store.mark_produced("run-1", [("svc", "s00"), ("svc", "x")])  # x: not OWNER's
    keys, after = await store.unproduced_owned_page(
        OWNER, "run-1", before=started, after=None, limit=100
    )
    counts = await store.produced_counts(OWNER, "run-1", since=started)

    assert after is None
    assert ("svc", "s03") not in keys and len(keys) == 11
    assert counts == {"svc": 3}  # s03 written since the start, s00 and x marked


@pytest.mark.parametrize("limit", [2, 100], ids=["in-pages", "in-one-page"])
async def test_a_claimed_page_s_keys_are_produced_by_the_run_of_its_owner_only(
    store: Store, limit: int
) -> None:
    assert isinstance(store, RecordsProduced) and isinstance(store, ClaimsPages)
    started, v = await _seeded(store)
    page = [("svc", f"s{i:02d}") for i in range(0, 12, 2)]  # claimed keys past each cursor
    mine = PageRecord(b"\x01", page, [v[i] for _, i in page], {"svc": 6})
    theirs = PageRecord(b"\x01", [("svc", "s07")], [v["s07"]], {})  # same slot and digest
    await store.keep_pages(PageShelf(OWNER, "r0", "f", "gh#0"), [mine])
    await store.keep_pages(PageShelf(OTHER, "r0", "f", "jira#0"), [theirs])
    rerun = PageShelf(OWNER, "r0", "f", "gh#1")

    claimed = await store.claim_pages(rerun, [b"\x01"])
    claimed += await store.claim_pages(rerun, [b"\x01"])  # asked again: claimed twice
    await store.settle_pages(rerun)  # the claimed record stays
    keys: list[tuple[str, str]] = []
    after: tuple[str, str] | None = None
    while True:  # (PostgreSQL spreads the claimed pages into marks from the second page)
        page, after = await store.unproduced_owned_page(
            OWNER, "gh#1", before=started, after=after, limit=limit
        )
        keys += page
        if after is None:
            break
    counts = await store.produced_counts(OWNER, "gh#1", since=started)
    among = await store.produced_among(OWNER, "gh#1", [("svc", "s02"), ("svc", "s07")])

    assert [page.entities for page in claimed] == [6, 6]
    assert await store.open_pages(rerun)
    assert keys == [("svc", f"s{i:02d}") for i in range(1, 12, 2)] + [("team", "core")]
    assert counts == {"svc": 6}
    assert among == {("svc", "s02")}


@pytest.mark.parametrize(
    ("runs", "kept"),
    [
        pytest.param(["gh#1", "gh#2", "jira#1"], ["jira#1"], id="another-integration-s-kept"),
        pytest.param(["gh#1", "gh#2"], [], id="the-only-runs"),  # (PostgreSQL empties the table)
        pytest.param(["gh", "gh#1", "gh$"], ["gh", "gh$"], id="ids-beside-the-prefix"),
        pytest.param(["gh#\U0010ffffx", "gh#2"], [], id="past-the-largest-character"),
    ],
)
async def test_forgetting_drops_the_runs_of_one_integration_only(
    store: Store, runs: list[str], kept: list[str]
) -> None:
    assert isinstance(store, RecordsProduced)
    await _seed(store)
    for run in runs:  # gh#1: a killed run of the same integration
        await store.mark_produced(run, [("svc", "s00")])

    await store.forget_produced("gh#")

    left = [run for run in runs if await store.produced_among(OWNER, run, [("svc", "s00")])]
    assert left == kept


async def test_a_run_that_outlived_its_lease_leaves_the_marks_of_the_run_after_it(
    store: Store,
) -> None:
    await _seed(store)
    stalled, holder = Produced(store, OWNER), Produced(store, OWNER)
    await stalled.started()
    await holder.started()  # the lease lapsed: the new holder drops what the other left

    with pytest.raises(StoreError, match="lost the keys"):
        await stalled.still_recorded()  # so the stalled run deletes nothing
    await stalled.forget()  # it ends (after the holder started)

    await holder.still_recorded()  # the holder's marks are still there
