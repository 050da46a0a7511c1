"""A live-event process killed -9 while events wait loses none and keeps each key's order."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.reliability.live_kill import kill_while_events_wait


@pytest.mark.parametrize(
    "queue_url",
    [
        pytest.param(None, id="sqlite-queue"),
        pytest.param("redis://127.0.0.1:6379/0", id="redis-queue"),
    ],
)
async def test_events_accepted_before_and_after_a_kill_are_all_applied_in_order(
    tmp_path: Path, queue_url: str | None
) -> None:
    run = await kill_while_events_wait(tmp_path, events=60, keys=6, queue_url=queue_url)

    assert run.refused == 0
    assert run.wrong_keys == 0
