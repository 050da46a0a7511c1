"""Newest data wins between writers of one process (pure bookkeeping)."""

from __future__ import annotations

import gc
import time

import pytest

from ocean.load.freshness import PRUNE_AT_LEAST, Freshness
from ocean.types import Entity


def _entity(identifier: str) -> Entity:
    return {"blueprint": "service", "identifier": identifier}


def test_a_write_from_older_data_than_one_already_written_is_dropped() -> None:
    freshness = Freshness()
    kept, newer = freshness.claim([_entity("a"), _entity("b")], fetched_at=10.0)
    assert (len(kept), newer) == (2, 0)
    kept, newer = freshness.claim([_entity("a"), _entity("c")], fetched_at=5.0)
    assert ([e["identifier"] for e in kept], newer) == (["c"], 1)
    kept, _ = freshness.claim([_entity("a")], fetched_at=12.0)
    assert kept == [_entity("a")]
    assert freshness.claim_keys([("service", "a"), ("service", "d")], fetched_at=11.0) == [
        ("service", "d")
    ]


def test_writes_older_than_the_horizon_are_forgotten() -> None:
    freshness = Freshness(horizon=0.05)
    freshness.claim([_entity("a")], fetched_at=Freshness.now())
    time.sleep(0.06)
    freshness.claim([_entity("b")], fetched_at=Freshness.now())
    assert len(freshness) == 1


class _Clock:
    def __init__(self) -> None:
        self.at = 0.0

    def __call__(self) -> float:
        return self.at


def _written(freshness: Freshness, count: int, at: float) -> None:
    freshness.claim([_entity(f"e{i}") for i in range(count)], fetched_at=at)


def test_writes_are_forgotten_once_no_data_in_flight_is_older() -> None:
    clock = _Clock()
    freshness = Freshness(clock=clock)
    with freshness.holding(1.0):  # a live event, from its fetch to its write
        _written(freshness, PRUNE_AT_LEAST, at=1.0)
    clock.at = 2.0  # long before the horizon
    freshness.claim([_entity("late")], fetched_at=2.0)
    assert len(freshness) == 1


def test_writes_newer_than_data_still_in_flight_are_kept_until_it_is_claimed() -> None:
    clock = _Clock()
    freshness = Freshness(clock=clock)
    fetches = freshness.fetches()
    fetches.add(0.5)  # a resync's page, fetched before the live writes below
    _written(freshness, PRUNE_AT_LEAST, at=1.0)
    clock.at = 2.0
    freshness.claim([_entity("late")], fetched_at=2.0)
    assert len(freshness) == PRUNE_AT_LEAST + 1
    kept, newer = freshness.claim([_entity("e0"), _entity("new")], fetched_at=0.5)
    assert ([e["identifier"] for e in kept], newer) == (["new"], 1)  # e0's newer data stays
    fetches.done(0.5)
    _written(freshness, 3 * PRUNE_AT_LEAST, at=3.0)  # (a look is made once they doubled)
    clock.at = 4.0
    freshness.claim([_entity("latest")], fetched_at=4.0)
    assert len(freshness) == 1


@pytest.mark.parametrize("closed", ["never", "collected"])
def test_a_writer_that_never_closes_holds_writes_for_the_horizon_at_most(closed: str) -> None:
    clock = _Clock()
    freshness = Freshness(horizon=10.0, clock=clock)
    if closed == "never":
        kept = freshness.fetches()
        kept.add(0.0)
    else:
        freshness.fetches().add(0.0)  # dropped at once: holds nothing
        gc.collect()
    _written(freshness, PRUNE_AT_LEAST, at=1.0)
    clock.at = 5.0
    freshness.claim([_entity("late")], fetched_at=5.0)
    assert len(freshness) == (PRUNE_AT_LEAST + 1 if closed == "never" else 1)
    clock.at = 12.0  # past the horizon of the writes at 1.0, not of the one at 5.0
    freshness.claim([_entity("later")], fetched_at=12.0)
    assert len(freshness) == (2 if closed == "never" else 1)


def test_writes_kept_for_a_long_held_writer_are_forgotten_at_the_look_after_it_closes() -> None:
    clock = _Clock()
    freshness = Freshness(clock=clock)
    held = freshness.fetches()
    held.add(0.5)  # an entity held for its relation target until the resync's end
    for second in range(1, 11):
        clock.at = float(second)
        _written(freshness, PRUNE_AT_LEAST, at=clock.at)  # (the same keys, rewritten)
    held.close()
    clock.at = 12.0
    freshness.claim([_entity("late")], fetched_at=12.0)
    assert len(freshness) == 1


@pytest.mark.parametrize("outlast", [None, 2000.0], ids=["horizon", "outlasted"])
def test_a_writer_held_up_longer_than_the_horizon_needs_it_outlasted(
    outlast: float | None,
) -> None:
    """A live event whose write is retried past the horizon: the newer write made while it
    waited is forgotten, and its older data lands over it, unless the horizon outlasts it
    (what the live events set from their timeout and write patience)."""
    clock = _Clock()
    freshness = Freshness(clock=clock)
    if outlast is not None:
        freshness.outlast(outlast)
    held = freshness.fetches()
    held.add(0.0)  # the event's data, fetched at 0
    freshness.claim([_entity("a")], fetched_at=5.0)  # a resync's newer data, written
    clock.at = 1000.0  # still retrying the event's write
    _written(freshness, PRUNE_AT_LEAST, at=1000.0)  # (enough for a look)
    kept, _ = freshness.claim([_entity("a")], fetched_at=0.0)
    assert kept == ([] if outlast else [_entity("a")])
