"""How an Ocean process runs: its coroutine's result, and the cycle collector's pace."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from ocean.process import FULL_PASS_EVERY, run_process


@pytest.fixture
def collector() -> Iterator[None]:
    threshold = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*threshold)


def test_a_process_returns_its_coroutines_result_with_full_collections_made_rare(
    collector: None,
) -> None:
    async def inspect() -> tuple[int, int]:
        return gc.get_threshold()[2], gc.get_freeze_count()

    full_pass_every, frozen = run_process(inspect())

    assert full_pass_every == FULL_PASS_EVERY
    assert frozen > 0  # modules and classes loaded before the loop are left out of full passes
