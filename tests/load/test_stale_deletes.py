"""A chunk of stale entities whose deletion a stop cut short is said not counted: a Port
API's deletion is cancelled between its requests, and what went before is not known."""

from __future__ import annotations

import asyncio

import pytest

from ocean.load.stale_deletes import _chunk_ended
from ocean.monitor.report import ResyncReport


@pytest.mark.parametrize(("stopped", "notes"), [(True, 1), (False, 0)], ids=["stopped", "ended"])
async def test_a_chunk_cut_short_is_said_not_counted(stopped: bool, notes: int) -> None:
    report = ResyncReport(integration="i", trigger="manual", started_at="2026-12-06T00:00:00Z")
    deleting: asyncio.Future[None] = asyncio.get_running_loop().create_future()
    deleting.cancel() if stopped else deleting.set_result(None)

    await _chunk_ended(report, deleting, 100)

    assert len(report.deletion_notes) == notes
    assert all("a chunk of 100 stale entities" in note for note in report.deletion_notes)
