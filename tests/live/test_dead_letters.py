"""The dead-letter list read a page at a time: the oldest first, and how many in all, on
both queues."""

from __future__ import annotations

from pathlib import Path

import pytest

from ocean.live.open import open_queue


@pytest.mark.parametrize("backend", ["sqlite", "redis"])
async def test_the_oldest_dead_letters_and_their_count(
    backend: str, integration: str, tmp_path: Path
) -> None:
    url = (
        f"sqlite:///{tmp_path / 'events.db'}" if backend == "sqlite" else "redis://127.0.0.1:6379/0"
    )
    queue = await open_queue(url, integration)
    try:
        for number in range(5):
            await queue.put("/webhook", {"n": number}, {}, None)
        for taken in await queue.take(5, timeout=1):
            await queue.bury(taken, "mapping failed")
        oldest, every, count = await queue.dead(2), await queue.dead(), await queue.dead_count()
    finally:
        await queue.close()

    assert [event.payload["n"] for event in oldest] == [0, 1]
    assert [event.payload["n"] for event in every] == [0, 1, 2, 3, 4]
    assert count == 5
