"""How an Ocean process runs: its coroutine's result, the cycle collector's pace, and how
a finished command's process ends."""

from __future__ import annotations

import gc
import subprocess
import sys
import weakref
from pathlib import Path

import pytest

from ocean.process import MIDDLE_PASS_EVERY, YOUNG_PASS_AFTER, release_garbage, run_process
from ocean.store.sqlite.spawn import child_environment
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


_ENDING = """
import atexit, sys, threading, time
from ocean.process import exit_now
atexit.register(lambda: print("exit handler ran", flush=False))
print("unflushed", end=" ")
if sys.argv[1] == "thread":  # alive when the command ends: waited for
    threading.Thread(target=lambda: (time.sleep(1), print("thread finished"))).start()
exit_now(eval(sys.argv[2]))
"""


@pytest.mark.parametrize(
    ("code", "status", "stderr"),
    [("None", 0, ""), ("3", 3, ""), ("'no catalog at /x'", 1, "no catalog at /x\n")],
)
@pytest.mark.parametrize("thread", ["none", "thread"])
def test_a_finished_command_exits_with_its_code_after_its_exit_handlers(
    code: str, status: int, stderr: str, thread: str
) -> None:
    ended = subprocess.run(
        [sys.executable, "-c", _ENDING, thread, code],
        capture_output=True,
        text=True,
        timeout=60,
        env=child_environment(),
    )

    assert (ended.returncode, ended.stderr) == (status, stderr)
    finished = "thread finished\n" if thread == "thread" else ""  # a live thread is waited for
    assert ended.stdout == f"unflushed {finished}exit handler ran\n"


def test_a_profiled_command_exits_as_usual_so_that_the_profile_is_written(tmp_path: Path) -> None:
    script, profile = tmp_path / "ending.py", tmp_path / "ending.prof"
    script.write_text(_ENDING)
    command = [sys.executable, "-m", "cProfile", "-o", str(profile), str(script), "none", "0"]

    ended = subprocess.run(
        command, capture_output=True, text=True, timeout=60, env=child_environment()
    )

    assert (ended.returncode, ended.stderr) == (0, "")
    assert profile.stat().st_size > 0
