"""One queued event applied: its processors run in one of the handling slots
(``OCEAN__EVENT_WORKERS_COUNT``), and its write waits for the catalog outside that slot,
in one transaction with the writes of the events beside it."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from ocean.live.process import LiveEvents, accept, process
from ocean.live.queue import QueuedEvent
from ocean.load.freshness import Freshness
from ocean.sail import prepare
from ocean.store.sqlite.store import SQLiteStore
from tests.conftest import BLUEPRINTS, MAIN_PY, Workspace
from tests.live.harness import ACCEPTING

MARKING = """
from pathlib import Path

class Marking(Accepting):
    async def handle_event(self, payload, resource_config):
        Path(payload.pop("mark")).touch()  # handled: the test sees it
        return WebhookEventRawResults(updated_raw_results=[payload])

ocean.add_webhook_processor("/webhook", Marking)
"""


async def _queued(live: LiveEvents, number: int, mark: Path) -> QueuedEvent:
    body = {"id": f"svc-{number}", "name": f"Service {number}", "mark": str(mark)}
    accepted = await accept(live, "/webhook", json.dumps(body).encode(), {})
    assert accepted is not None
    return QueuedEvent(str(number), "/webhook", accepted.payload, {}, None, 0.0)


async def _all_exist(paths: list[Path]) -> None:
    while not all(path.exists() for path in paths):
        await asyncio.sleep(0.01)


async def test_events_waiting_to_be_written_leave_the_handling_slot_to_the_next(
    workspace: Workspace, tmp_path: Path
) -> None:
    """With one slot, three events are handled while the catalog holds their writes back:
    the writes wait together (a slot held across its write let one event at a time in,
    and groups of writes of a few events cost live events half their rate)."""
    (workspace.folder / "main.py").write_text(MAIN_PY + ACCEPTING + MARKING)
    sail = prepare(workspace.folder, environ=workspace.environ, overrides={})
    store = await SQLiteStore.open(workspace.catalog)
    marks = [tmp_path / f"handled-{number}" for number in range(3)]
    try:
        await store.create_blueprints(BLUEPRINTS)
        live = LiveEvents(sail.folder.integration, sail.folder.mapping, sail.resources, store,
                          sail.owner, workers=1)  # fmt: skip
        async with live.freshness.lock:  # every live write waits for it: the catalog is busy
            applying = [
                asyncio.create_task(process(live, await _queued(live, number, mark)))
                for number, mark in enumerate(marks)
            ]
            await asyncio.wait_for(_all_exist(marks), 10)
        assert await asyncio.gather(*applying) == [None, None, None]
        stored = await store.get_entities("service", ["svc-0", "svc-1", "svc-2"])
    finally:
        await store.close()

    assert sorted(stored) == ["svc-0", "svc-1", "svc-2"]


async def test_writes_are_remembered_as_long_as_an_events_write_may_be_retried(
    workspace: Workspace,
) -> None:
    """``write_patience_seconds`` past the 15-minute horizon: a resync's write made while an
    event's write is retried is still remembered when the event's older data comes."""
    sail = prepare(workspace.folder, environ=workspace.environ, overrides={})
    store = await SQLiteStore.open(workspace.catalog)
    clock = [0.0]
    freshness = Freshness(clock=lambda: clock[0])
    try:
        LiveEvents(sail.folder.integration, sail.folder.mapping, sail.resources, store,
                   sail.owner, freshness=freshness, write_patience=3600)  # fmt: skip
    finally:
        await store.close()
    held = freshness.fetches()
    held.add(0.0)  # the event's data
    entity = {"blueprint": "service", "identifier": "svc-1"}
    freshness.claim([entity], fetched_at=5.0)  # the resync's, newer
    clock[0] = 3000.0  # the event's write still retried
    freshness.claim([{"blueprint": "service", "identifier": f"e{n}"} for n in range(5000)], 3000.0)
    assert freshness.claim([entity], fetched_at=0.0) == ([], 1)
