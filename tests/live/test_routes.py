"""The live-event route when the SQLite queue's disk is full: each event it cannot store is
answered 503 (never 202), the reason (the queue's file, its full disk) is logged at ERROR
once rather than not at all, and once space is freed events are stored and applied again."""

from __future__ import annotations

import asyncio
import logging

import pytest

from ocean.errors import QueueUnavailableError
from ocean.live import routes
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


def test_refusals_that_stop_and_start_again_are_logged_once_a_minute(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A queue at its limit (a nearly full disk, Redis at its maxmemory while the workers
    take events) refuses some events and stores others: before, each refusal after a
    stored event logged an ERROR and each stored one after it an INFO, thousands a
    second."""
    now = [1000.0]
    monkeypatch.setattr(routes.time, "monotonic", lambda: now[0])
    caplog.set_level(logging.INFO, logger="ocean.live.routes")
    refusals = routes._Refusals()
    error = QueueUnavailableError("the disk is full")

    for _ in range(500):  # five seconds of flapping
        refusals.refused(error)
        refusals.stored()
        now[0] += 0.01
    said = [(r.levelno, r.getMessage()) for r in caplog.records if r.name == "ocean.live.routes"]
    assert [level for level, _ in said] == [logging.ERROR, logging.INFO], said

    now[0] += routes.REFUSALS_LOGGED_EVERY  # the refusals untold since are told
    refusals.stored()
    refusals.stored()
    said = [(r.levelno, r.getMessage()) for r in caplog.records if r.name == "ocean.live.routes"]
    assert [level for level, _ in said] == [logging.ERROR, logging.INFO] * 2, said
    assert "499 live events refused" in said[2][1] and "the disk is full" in said[2][1]


def test_refusals_that_go_on_are_logged_when_they_start_and_once_a_minute(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    now = [1000.0]
    monkeypatch.setattr(routes.time, "monotonic", lambda: now[0])
    caplog.set_level(logging.INFO, logger="ocean.live.routes")
    refusals = routes._Refusals()
    error = QueueUnavailableError("the disk is full")

    for _ in range(1040):  # two minutes and ten seconds
        refusals.refused(error)
        now[0] += 0.125
    refusals.stored()
    refusals.stored()
    said = [(r.levelno, r.getMessage()) for r in caplog.records if r.name == "ocean.live.routes"]
    assert [level for level, _ in said] == [logging.ERROR] * 3 + [logging.INFO], said
    assert "a live event was refused" in said[0][1] and "481 live events" in said[1][1]
    assert "refusing 1040 in 130.0 seconds" in said[3][1]
