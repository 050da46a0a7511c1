"""A run's live writes (``register_raw`` / ``unregister_raw``) and its resync share one
record of what was written from which data: newest data wins between them."""

from __future__ import annotations

import contextlib

import pytest

from ocean.load.freshness import Freshness
from tests.conftest import TEAMS, Workspace, services

REGISTERED_WHILE_A_PAGE_WAITS = """
from ocean import Integration
ocean = Integration()

@ocean.on_resync("service")
async def services(kind):
    yield [{"id": "svc-1", "name": "S1", "url": "u", "stars": 1, "team": "core"},
           {"id": "svc-2", "name": "S2", "url": "u", "stars": 1, "team": "core"}]
    # the page above waits to be written with the next ones; newer data comes live
    await ocean.register_raw("service", [{"id": "svc-1", "name": "S1", "url": "u", "stars": 99}])
    await ocean.unregister_raw("service", [{"id": "svc-2"}])

@ocean.on_resync("team")
async def teams(kind):
    return [{"id": "core", "name": "Core"}]
"""


async def test_a_resync_page_fetched_before_a_live_write_does_not_undo_it(
    workspace: Workspace,
) -> None:
    (workspace.folder / "main.py").write_text(REGISTERED_WHILE_A_PAGE_WAITS)
    await workspace.sail(freshness=Freshness())

    stored = await workspace.entities("service")
    assert {key: entity["properties"]["stars"] for key, entity in stored.items()} == {"svc-1": 99}


@pytest.mark.usefixtures("forgetful_freshness")
@pytest.mark.parametrize("live_in_flight", [False, True])
async def test_a_resync_s_writes_are_remembered_only_while_older_live_data_is_in_flight(
    workspace: Workspace, live_in_flight: bool
) -> None:
    workspace.set_data(services=[services(300)], teams=TEAMS)
    freshness = Freshness()
    with freshness.holding(Freshness.now()) if live_in_flight else contextlib.nullcontext():
        await workspace.sail(freshness=freshness)
        freshness.claim([], Freshness.now())  # the next write's look
        remembered = len(freshness)
    assert remembered == (302 if live_in_flight else 0)  # the services and the teams
