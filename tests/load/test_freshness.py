"""Newest data wins between writers of one process (pure bookkeeping)."""

from __future__ import annotations

import time

from ocean.load.freshness import Freshness
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
