"""How an Ocean process runs: its coroutine's result, and the cycle collector's pace."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator

import pytest

from ocean.process import (
    MIDDLE_PASS_EVERY,
    YOUNG_PASS_AFTER,
    pace_collector,
    release_garbage,
    run_process,
)


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

    assert gc.get_threshold()[:2] == (YOUNG_PASS_AFTER, MIDDLE_PASS_EVERY)
    assert gc.get_freeze_count() > 0  # modules and classes loaded so far: left out of passes


class _Cycle:
    def __init__(self) -> None:
        self.me = self


def _cycle_freed() -> list[bool]:
    """A garbage cycle (which reference counts never free) and whether it was freed."""
    freed: list[bool] = []
    weakref.finalize(_Cycle(), freed.append, True)
    return freed


def test_paced_collection_still_frees_cycles(collector: None) -> None:
    pace_collector()
    freed = _cycle_freed()

    for _ in range(2 * YOUNG_PASS_AFTER):  # more garbage cycles: a young pass comes
        _Cycle()

    assert freed == [True]


@pytest.mark.parametrize(("paced", "collects"), [(True, True), (False, False)])
def test_releasing_garbage_makes_a_full_pass_only_where_passes_are_paced(
    collector: None, paced: bool, collects: bool
) -> None:
    if paced:
        pace_collector()
    passes: list[int] = []

    def count(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            passes.append(info["generation"])

    gc.callbacks.append(count)
    try:
        release_garbage()
    finally:
        gc.callbacks.remove(count)

    assert (2 in passes) is collects
