"""How an Ocean process runs: its coroutine's result, and the cycle collector's pace."""

from __future__ import annotations

import gc
import weakref

from ocean.process import MIDDLE_PASS_EVERY, YOUNG_PASS_AFTER, release_garbage, run_process
from tests.conftest import collector_passes


def test_a_process_returns_its_coroutines_result() -> None:
    async def answer() -> int:
        return 42

    assert run_process(answer()) == 42


def test_pacing_makes_collections_rare_and_freezes_what_exists(paced: list[int]) -> None:
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


def test_paced_collection_still_frees_cycles(paced: list[int]) -> None:
    freed = _cycle_freed()

    for _ in range(2 * YOUNG_PASS_AFTER):  # more garbage cycles: a young pass comes
        _Cycle()

    assert freed == [True]


def test_releasing_garbage_makes_a_full_pass_where_passes_are_paced(paced: list[int]) -> None:
    release_garbage()

    assert 2 in paced


def test_releasing_garbage_does_nothing_where_passes_are_not_paced() -> None:
    """A library user's process (tests, ``ocean.testing``) keeps its collector as it is."""
    with collector_passes() as passes:
        release_garbage()

    assert passes == []
