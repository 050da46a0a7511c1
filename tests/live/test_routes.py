"""The live-event route when the SQLite queue's disk is full: each event it cannot store is
answered 503 (never 202), the reason (the queue's file, its full disk) is logged at ERROR
once rather than not at all, and once space is freed events are stored and applied again."""

from __future__ import annotations

import asyncio
import logging

import pytest

from tests.conftest import Workspace, fill, small_disk
from tests.live.harness import live_server, service_event, with_processors


async def test_events_a_full_disk_refuses_get_503_and_the_log_says_why_once(
    workspace: Workspace, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="ocean.live.routes")
    live = with_processors(workspace)
    with small_disk(workspace.root / "disk", 4) as disk:
        queue = disk / "events.db"
        environ = {"OCEAN__LIVE_EVENTS__QUEUE_URL": f"sqlite:///{queue}"}
        async with live_server(live, environ) as server:
            assert (await server.post(service_event("svc-0", 1))).status_code == 202
            await server.settled()
            filler = fill(disk, 0)
            answers = [
                (await server.post(service_event(f"svc-{i}", 1, pad="x" * 50_000))).status_code
                for i in range(1, 41)
            ]
            filler.unlink()
            assert (await server.post(service_event("svc-after", 1))).status_code == 202
            await server.settled()
            await asyncio.sleep(0.2)
        entities = await workspace.entities("service")

    assert 503 in answers and set(answers) <= {202, 503}, answers
    stored = {f"svc-{i}" for i, status in enumerate(answers, 1) if status == 202}
    assert set(entities) == {"svc-0", "svc-after"} | stored  # none refused is applied
    said = [(r.levelno, r.getMessage()) for r in caplog.records if r.name == "ocean.live.routes"]
    errors = [message for level, message in said if level == logging.ERROR]
    assert len(errors) == 1, said  # once, not per event
    assert str(queue) in errors[0] and "database or disk is full" in errors[0], errors
    assert "free space on its disk" in errors[0]
    assert any("stores events again" in message for level, message in said if level == logging.INFO)
