"""An outage of the SQLite queue's disk as the workers live through it: a full disk refuses
writes (moving an event the catalog could not take to the dead-letter list) and still
serves reads (the workers taking events), and the outage is logged at ERROR once, not anew
after every read that succeeds; once space is freed the event is buried, none lost."""

from __future__ import annotations

import asyncio
import logging

import pytest

from tests.conftest import Workspace, fill, small_disk
from tests.live.harness import live_server, service_event, with_processors


async def test_a_full_queue_disk_that_still_serves_reads_is_one_outage_logged_once(
    workspace: Workspace, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="ocean.live.outage")
    live = with_processors(workspace)
    with (
        small_disk(workspace.root / "catalog-disk", 4) as catalog_disk,
        small_disk(workspace.root / "queue-disk", 4) as queue_disk,
    ):
        workspace.catalog = catalog_disk / "catalog.db"
        environ = {
            "OCEAN__LIVE_EVENTS__QUEUE_URL": f"sqlite:///{queue_disk / 'events.db'}",
            "OCEAN__LIVE_EVENTS__WRITE_PATIENCE_SECONDS": "1",
            "OCEAN__LIVE_EVENTS__RETRY_MAX_SECONDS": "0.2",
            "OCEAN__EVENT_LISTENER__INTERVAL": "0.05",
        }
        async with live_server(live, environ) as server:
            assert (await server.post(service_event("svc-0", 1))).status_code == 202
            await server.settled()
            fill(catalog_disk, 0)  # the catalog cannot take the next event
            big = service_event("svc-1", 1, pad="x" * 200_000)
            assert (await server.post(big)).status_code == 202
            queue_full = fill(queue_disk, 0)  # nor can the queue bury it
            await asyncio.sleep(4)  # many retries, and reads between them
            refused = [r for r in caplog.records if r.levelno >= logging.ERROR]
            queue_full.unlink()
            async with asyncio.timeout(20):
                while not await server.service.queue.dead():
                    await asyncio.sleep(0.1)

    assert len(refused) == 1, [r.getMessage() for r in refused]
    assert "database or disk is full" in refused[0].getMessage()
    assert any("reachable again" in r.getMessage() for r in caplog.records)
