"""PostgreSQL page records (entries as arrays of the record's row): recalled and claimed
while their entities are at the recorded versions, replaced by digest, dropped unused."""

from __future__ import annotations

import asyncio

import pytest

from ocean.errors import LeaseLostError
from ocean.store.base import PageRecord, now_iso
from ocean.store.lease import Fence, LeaseHolder
from ocean.store.page_records import PageShelf
from ocean.store.postgres import pages, produced
from ocean.store.postgres.store import PostgresStore
from ocean.store.produced import run_prefix
from tests.store.postgres import BLUEPRINT, OWNER


async def _stored(url: str) -> tuple[PostgresStore, dict[str, int]]:
    store = await PostgresStore.open(url)
    await store.create_blueprints([BLUEPRINT])
    entities = [{"identifier": name, "blueprint": "svc"} for name in ("a", "b", "c")]
    outcomes = await store.upsert_entities(entities, owner=OWNER, merge=True)
    return store, {o.identifier: o.version or 0 for o in outcomes}


async def test_records_hold_while_their_entities_are_unwritten(postgres_url: str) -> None:
    store, v = await _stored(postgres_url)
    one = PageRecord(
        b"\x01", [("svc", "a"), ("svc", "b")], [v["a"], v["b"]], {"svc": 2}, {".x": "y"}
    )
    two = PageRecord(b"\x02", [("svc", "c")], [v["c"]], {"svc": 1})
    await store.remember_pages(OWNER, "r0", "f", [one, two])
    recalled = await store.recall_pages(OWNER, "r0", "f")
    await store.upsert_entities([{"identifier": "c", "blueprint": "svc", "title": "C"}],
                                owner=OWNER, merge=True)  # fmt: skip
    after_write = await store.recall_pages(OWNER, "r0", "f")
    other = await store.recall_pages(OWNER, "r0", "g")
    await store.close()

    assert sorted(recalled, key=lambda r: r.digest) == [one, two]
    assert after_write == [one]
    assert other == []


async def test_claim_keep_and_settle(postgres_url: str) -> None:
    store, v = await _stored(postgres_url)
    shelf = PageShelf(OWNER, "r0", "f", "run-1")
    stale = PageRecord(b"\x01", [("svc", "a")], [v["a"] + 1], {"svc": 1})
    await store.keep_pages(shelf, [stale, PageRecord(b"\x03", [], [], {})])
    fresh = PageRecord(b"\x01", [("svc", "a"), ("svc", "b")], [v["a"], v["b"]], {"svc": 2})
    await store.keep_pages(shelf, [fresh])  # replaces the record of the same digest
    rerun = PageShelf(OWNER, "r0", "f", "run-2")
    opened = await store.open_pages(rerun)
    claimed = await store.claim_pages(rerun, [b"\x01", b"\x01", b"\x02"])
    marked = await store.produced_among(OWNER, "run-2", [("svc", "a"), ("svc", "b"), ("svc", "c")])
    await store.settle_pages(rerun)  # \x03 was not used by run-2
    left = await store.recall_pages(OWNER, "r0", "f")
    await store.close()

    assert opened
    assert [(c.digest, c.entities, c.blueprints, c.counts) for c in claimed] == [
        (b"\x01", 2, ["svc"], {"svc": 2})
    ]
    assert marked == {("svc", "a"), ("svc", "b")}
    assert left == [fresh]


async def test_settling_hashes_the_marks_rather_than_scan_them_per_record(
    postgres_url: str,
) -> None:
    store, _ = await _stored(postgres_url)
    shelf = PageShelf(OWNER, "r0", "f", "run-1")
    records = [PageRecord(bytes([n, 1]), [], [], {}) for n in range(200)]
    await store.keep_pages(shelf, records)
    rerun = PageShelf(OWNER, "r0", "f", "run-2")
    await store.claim_pages(rerun, [r.digest for r in records[:150]])
    async with store._pool.acquire() as db:  # a fresh catalog: no statistics
        plan = "\n".join(
            row[0]
            for row in await db.fetch(
                f"EXPLAIN {pages._UNUSED}", OWNER.key, "r0", rerun.used, rerun.claimed
            )
        )
    await store.settle_pages(rerun)
    left = await store.recall_pages(OWNER, "r0", "f")
    await store.close()

    assert "hashed SubPlan" in plan  # a nested loop compared 1,000 records with 1,000 marks
    assert sorted(r.digest for r in left) == sorted(r.digest for r in records[:150])


async def _marks(store: PostgresStore) -> list[tuple[str, str, str]]:
    rows = await store._pool.fetch(
        "SELECT run, blueprint, identifier FROM resync_produced ORDER BY 1, 2, 3"
    )
    return [tuple(row) for row in rows]


@pytest.mark.parametrize(
    ("spread_from", "spread"),
    [
        pytest.param(1, True, id="many-keys-spread-the-page"),
        pytest.param(1000, False, id="a-few-keys-hashed-against-its-entries"),
    ],
)
async def test_a_claim_marks_its_page_and_asking_about_keys_not_marked_finds_its_keys(
    postgres_url: str, monkeypatch: pytest.MonkeyPatch, spread_from: int, spread: bool
) -> None:
    monkeypatch.setattr(produced, "SPREAD_FROM", spread_from)
    store, v = await _stored(postgres_url)
    record = PageRecord(b"\x01", [("svc", "a"), ("svc", "b")], [v["a"], v["b"]], {"svc": 2})
    await store.keep_pages(PageShelf(OWNER, "r0", "f", "run-1"), [record])
    await store.forget_produced("run-1")
    rerun = PageShelf(OWNER, "r0", "f", "run-2")
    await store.claim_pages(rerun, [b"\x01"])
    claimed = await _marks(store)
    among = await store.produced_among(OWNER, "run-2", [("svc", "a"), ("svc", "c")])
    after = await _marks(store)
    again = await store.produced_among(OWNER, "run-2", [("svc", "b")])
    await store.settle_pages(rerun)  # used or claimed: the record stays
    left = await store.recall_pages(OWNER, "r0", "f")
    await store.close()

    assert claimed == [("run-2/claimed", "r0", "01")]  # one mark, not one per key
    assert among == {("svc", "a")}
    spread_marks = [("run-2", "svc", "a"), ("run-2", "svc", "b"), ("run-2/pages", "r0", "01")]
    assert after == (spread_marks if spread else claimed)
    assert again == {("svc", "b")}
    assert left == [record]


async def test_a_claimed_page_kept_again_still_produces_its_keys(postgres_url: str) -> None:
    store, v = await _stored(postgres_url)
    started = now_iso()
    record = PageRecord(b"\x01", [("svc", "a"), ("svc", "b")], [v["a"], v["b"]], {"svc": 2})
    await store.keep_pages(PageShelf(OWNER, "r0", "f", "run-1"), [record])
    rerun = PageShelf(OWNER, "r0", "f", "run-2")
    await store.claim_pages(rerun, [b"\x01"])
    await store.keep_pages(rerun, [record])  # the same page mapped and kept again
    stale, _ = await store.unproduced_owned_page(
        OWNER, "run-2", before=started, after=None, limit=10
    )
    await store.close()

    assert stale == [("svc", "c")]


@pytest.mark.parametrize(
    ("query", "arguments"),
    [
        pytest.param(produced._UNPRODUCED_PAGE, ("now", "", "", 10, "run-2"), id="the-stale-page"),
        pytest.param(produced._IN_CLAIMED, (["svc"], ["a"]), id="keys-asked-about"),
    ],
)
async def test_claimed_pages_entries_are_hashed_once_on_a_fresh_catalog(
    postgres_url: str, query: str, arguments: tuple[object, ...]
) -> None:
    store, v = await _stored(postgres_url)
    record = PageRecord(b"\x01", [("svc", "a"), ("svc", "b")], [v["a"], v["b"]], {"svc": 2})
    await store.keep_pages(PageShelf(OWNER, "r0", "f", "run-1"), [record])
    rerun = PageShelf(OWNER, "r0", "f", "run-2")
    await store.claim_pages(rerun, [b"\x01"])
    async with store._pool.acquire() as db, db.transaction():
        await db.execute(produced._HASHED)  # no statistics: a nested loop unnested per key
        explained = await db.fetch(f"EXPLAIN {query}", OWNER.key, *arguments, rerun.claimed)
    await store.close()

    plan = [row[0] for row in explained]
    assert any("Hash Cond" in line and "c.b" in line for line in plan)  # entries hashed
    assert not any("Join Filter" in line for line in plan)  # not compared in a nested loop


async def test_a_claimed_page_stays_produced_when_its_slot_s_records_are_replaced_whole(
    postgres_url: str,
) -> None:
    store, v = await _stored(postgres_url)
    record = PageRecord(b"\x01", [("svc", "a"), ("svc", "b")], [v["a"], v["b"]], {"svc": 2})
    await store.keep_pages(PageShelf(OWNER, "r0", "f", "run-1"), [record])
    await store.forget_produced("run-1")
    started, run = now_iso(), run_prefix(OWNER.key) + "r2"
    await store.claim_pages(PageShelf(OWNER, "r0", "f", run), [b"\x01"])
    # meanwhile a run through the catalog server (no lease) replaces the slot's records
    await store.remember_pages(OWNER, "r0", "f", [])
    stale, _ = await store.unproduced_owned_page(OWNER, run, before=started, after=None, limit=10)
    counts = await store.produced_counts(OWNER, run, since=started)
    among = await store.produced_among(OWNER, run, [("svc", "a"), ("svc", "b")])
    await store.close()

    assert stale == [("svc", "c")]
    assert counts == {"svc": 2}
    assert among == {("svc", "a"), ("svc", "b")}


_STALLED, _HOLDER = LeaseHolder("a" * 16, "host-a", 1), LeaseHolder("b" * 16, "host-b", 2)


async def _taken_over(url: str) -> tuple[PostgresStore, PageRecord, PageRecord]:
    """A page's record kept; a run's lease lapsed (``_STALLED``) and ``_HOLDER`` took it
    and claimed the page: the store, that record, and the same page's record under an
    older mapping (other keys)."""
    store, v = await _stored(url)
    record = PageRecord(b"\x01", [("svc", "a"), ("svc", "b")], [v["a"], v["b"]], {"svc": 2})
    await store.keep_pages(PageShelf(OWNER, "r0", "f", "run-1"), [record])
    await store.acquire_lease("gh-1", _STALLED, 0.2)
    await asyncio.sleep(0.3)
    await store.acquire_lease("gh-1", _HOLDER, 30)
    await store.claim_pages(PageShelf(OWNER, "r0", "f", "run-3"), [b"\x01"])
    return store, record, PageRecord(b"\x01", [("svc", "c")], [v["c"]], {"svc": 1})


async def test_a_run_held_up_past_its_lease_drops_no_records(postgres_url: str) -> None:
    store, record, _ = await _taken_over(postgres_url)
    late = PageShelf(OWNER, "r0", "f", "run-2", fence=Fence("gh-1", _STALLED))

    with pytest.raises(LeaseLostError):
        await store.settle_pages(late)  # the stalled run used none of the slot's records
    left = await store.recall_pages(OWNER, "r0", "f")
    await store.close()

    assert left == [record]


async def test_a_run_held_up_past_its_lease_replaces_no_record_the_next_holder_claimed(
    postgres_url: str,
) -> None:
    """Under the stalled run's older mapping the same page held other keys: had its record
    replaced the claimed one, the next holder's produced keys would have become those."""
    store, record, older = await _taken_over(postgres_url)
    late = PageShelf(OWNER, "r0", "f", "run-2", fence=Fence("gh-1", _STALLED))

    with pytest.raises(LeaseLostError):
        await store.keep_pages(late, [older])
    left = await store.recall_pages(OWNER, "r0", "f")
    holding = PageShelf(OWNER, "r0", "f", "run-3", fence=Fence("gh-1", _HOLDER))
    await store.keep_pages(holding, [record])  # the holder keeps as before
    await store.close()

    assert left == [record]
