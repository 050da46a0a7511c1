"""How an Ocean process runs: its coroutine's result, and the cycle collector's pace."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator

import pytest

from ocean.process import FULL_PASS_EVERY, YOUNG_PASS_AFTER, pace_collector, run_process


@pytest.fixture
def collector() -> Iterator[None]:
    threshold = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*threshold)


def test_a_process_returns_its_coroutines_result() -> None:
    async def answer() -> int:
        return 42

    assert run_process(answer()) == 42


def test_pacing_makes_collections_rare_and_freezes_what_exists(collector: None) -> None:
    pace_collector()

    assert gc.get_threshold() == (YOUNG_PASS_AFTER, 10, FULL_PASS_EVERY)
    assert gc.get_freeze_count() > 0  # modules and classes loaded so far: left out of full passes


def test_paced_collection_still_frees_cycles(collector: None) -> None:
    """Garbage in a cycle, which reference counts never free, is freed by a pass once
    enough of it has been made."""
    pace_collector()

    class Node:
        def __init__(self) -> None:
            self.me = self

    freed = []
    first = Node()
    weakref.finalize(first, freed.append, True)
    del first
    for _ in range(YOUNG_PASS_AFTER):  # cycles, each two tracked objects, none freed by counts
        Node()

    assert freed == [True]
