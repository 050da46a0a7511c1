"""A resync's pages joined into one write are each claimed as of their own fetch: a page
fetched after a live event wrote an entity is newer data than the live event's and wins,
even when an older page goes in the same write (see :mod:`ocean.load.freshness`)."""

from __future__ import annotations

from ocean.load.freshness import Freshness
from tests.conftest import Workspace

LIVE_BETWEEN_PAGES = """
import asyncio
from ocean import Integration
ocean = Integration()

def service(i, stars):
    return {"id": f"svc-{i}", "name": f"S{i}", "url": "u", "stars": stars, "team": None}

@ocean.on_resync("service")
async def services(kind):
    # fetched while the first page is mapped: newer data for svc-0 than that page's
    live = asyncio.ensure_future(ocean.register_raw("service", [service(0, 50)]))
    yield [service(i, 1) for i in range(600)]
    await live
    # the second page's fetch starts after the live event's: its data is newer still
    yield [service(0, 99)]

@ocean.on_resync("team")
async def teams(kind):
    return []
"""


async def test_a_page_fetched_after_a_live_event_wins_over_it(workspace: Workspace) -> None:
    (workspace.folder / "main.py").write_text(LIVE_BETWEEN_PAGES)

    report = await workspace.sail(freshness=Freshness())

    stored = await workspace.entities("service")
    assert stored["svc-0"]["properties"]["stars"] == 99
    assert report.status == "completed"
