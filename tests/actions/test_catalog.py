"""Actions and runs in the catalog (SQLite on a thread and in a child process,
PostgreSQL): claims hide a run for their visibility timeout, an acknowledgement is taken
once, a lapsed lease ends its run FAILURE with a log line saying why; the lease is the one
the acknowledgement names (none without), and a run handed to an external run, or whose
lease was dropped, gets none back from a renewal."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import pytest

from ocean.actions.catalog import LAPSED, ActionsCatalog
from ocean.actions.open import actions_of
from ocean.errors import ActionError, RunAlreadyAcknowledgedError
from ocean.store.base import Owner, Store
from ocean.types import Entity
from tests.actions.helpers import INSTALLATION, action

TEAM = {"identifier": "team", "title": "Team", "schema": {"properties": {}}}


async def _setup(store: Store) -> None:
    await store.create_blueprints([TEAM])
    core: Entity = {"identifier": "core", "blueprint": "team", "title": "Core", "properties": {}}
    await store.upsert_entities([core], owner=Owner("fake", "tests"), merge=False)


async def test_trigger_claim_ack_and_report(store: Store) -> None:
    await _setup(store)
    catalog = actions_of(store)
    await catalog.save_action(action(), replace=False)
    with pytest.raises(ActionError) as exists:
        await catalog.save_action(action(), replace=False)
    assert exists.value.status == 409
    run = await catalog.trigger("rename_team", {"name": "Kernel", "order": 1}, entity="core")
    props = run["payload"]["integrationActionExecutionProperties"]
    assert props == {"team": "core", "name": "Kernel", "order": 1}
    assert run["entity"]["identifier"] == "core" and run["status"] == "IN_PROGRESS"

    first = await catalog.claim_runs(INSTALLATION, 10, 30, [])
    assert [r["id"] for r in first] == [run["id"]]
    assert await catalog.claim_runs(INSTALLATION, 10, 30, []) == []  # hidden from others
    assert await catalog.claim_runs("another", 10, 30, []) == []
    await catalog.ack_run(run["id"])
    with pytest.raises(RunAlreadyAcknowledgedError):
        await catalog.ack_run(run["id"])

    await catalog.add_log(run["id"], "renamed", "INFO")
    await catalog.patch_run(run["id"], {"status": "SUCCESS", "link": "https://x/1"})
    fresh = await catalog.get_run(run["id"])
    assert fresh is not None and fresh["status"] == "SUCCESS" and fresh["link"] == ["https://x/1"]
    assert fresh["endedAt"] and fresh["startedAt"]
    with pytest.raises(ActionError) as ended:
        await catalog.patch_run(run["id"], {"status": "FAILURE"})
    assert ended.value.status == 409
    assert [line["message"] for line in await catalog.run_logs(run["id"])] == ["renamed"]
    assert [r["id"] for r in await catalog.list_runs(active=False)] == [run["id"]]


async def test_lapsed_claims_are_retried_and_lapsed_leases_failed(store: Store) -> None:
    await _setup(store)
    catalog = actions_of(store)
    await catalog.save_action(action(), replace=False)
    claimed = await catalog.trigger("rename_team", {"name": "A"}, entity="core")
    acked = await catalog.trigger("rename_team", {"name": "B"}, entity="core")
    assert len(await catalog.claim_runs(INSTALLATION, 10, 0.3, [])) == 2
    await catalog.ack_run(acked["id"], 0.3)  # then its runner "dies": no lease renewal
    await asyncio.sleep(0.6)

    again = await catalog.claim_runs(INSTALLATION, 10, 30, [])
    assert [r["id"] for r in again] == [claimed["id"]]  # retried; the acked one is not
    failed = await catalog.get_run(acked["id"])
    assert failed is not None and failed["status"] == "FAILURE"
    (line,) = await catalog.run_logs(acked["id"])
    assert "stopped renewing its lease" in line["message"] and line["level"] == "ERROR"


async def test_excluded_actions_and_unknown_runs(store: Store) -> None:
    await _setup(store)
    catalog = actions_of(store)
    await catalog.save_action(action(), replace=False)
    await catalog.trigger("rename_team", {"name": "A"}, entity="core")
    assert await catalog.claim_runs(INSTALLATION, 10, 30, ["rename_team"]) == []
    with pytest.raises(ActionError) as missing:
        await catalog.ack_run("r_nope")
    assert missing.value.status == 404
    with pytest.raises(ActionError) as no_entity:
        await catalog.trigger("rename_team", {}, entity="ghost")
    assert no_entity.value.status == 404
    with pytest.raises(ActionError) as no_action:
        await catalog.trigger("nope", {})
    assert no_action.value.status == 404


@pytest.mark.parametrize(
    ("lease", "status"),
    [
        pytest.param(None, "IN_PROGRESS", id="none-named-none-held"),  # the original's runner
        pytest.param(5.0, "IN_PROGRESS", id="longer-than-the-last-claim"),
        pytest.param(0.2, "FAILURE", id="lapsed"),
    ],
)
async def test_the_lease_is_the_one_the_acknowledgement_names(
    store: Store, lease: float | None, status: str
) -> None:
    await _setup(store)
    catalog = actions_of(store)
    await catalog.save_action(action(), replace=False)
    run = await catalog.trigger("rename_team", {"name": "A"}, entity="core")
    assert len(await catalog.claim_runs(INSTALLATION, 10, 0.1, [])) == 1  # another's claim
    await catalog.ack_run(run["id"], lease)
    await asyncio.sleep(0.4)
    await catalog.claim_runs(INSTALLATION, 10, 0.1, [])  # ends lapsed leases
    found = await catalog.get_run(run["id"])
    assert found is not None and found["status"] == status
    lines = [line["message"] for line in await catalog.run_logs(run["id"])]
    assert lines == ([] if status == "IN_PROGRESS" else [LAPSED.format(seconds=0.2)])


async def _external(catalog: ActionsCatalog, run_id: str) -> None:
    await catalog.patch_run(run_id, {"link": "https://ci/1", "externalRunId": "ci-1"})


async def _dropped(catalog: ActionsCatalog, run_id: str) -> None:
    await catalog.lease_run(run_id, 0)


async def _renewed(catalog: ActionsCatalog, run_id: str) -> None:
    await catalog.lease_run(run_id, 5)


@pytest.mark.parametrize(
    ("then", "status"),
    [
        pytest.param(_external, "IN_PROGRESS", id="handed-to-an-external-run"),
        pytest.param(_dropped, "IN_PROGRESS", id="dropped"),
        pytest.param(_renewed, "FAILURE", id="renewed-then-lapsed"),
    ],
)
async def test_a_late_renewal_does_not_bring_back_a_lease_that_is_gone(
    store: Store, then: Callable[[ActionsCatalog, str], Awaitable[None]], status: str
) -> None:
    await _setup(store)
    catalog = actions_of(store)
    await catalog.save_action(action(), replace=False)
    run = await catalog.trigger("rename_team", {"name": "A"}, entity="core")
    await catalog.claim_runs(INSTALLATION, 10, 30, [])
    await catalog.ack_run(run["id"], 30)
    await then(catalog, run["id"])
    await catalog.lease_run(run["id"], 0.2)  # a renewal sent before, landing after
    await asyncio.sleep(0.4)
    await catalog.claim_runs(INSTALLATION, 10, 30, [])  # ends lapsed leases
    found = await catalog.get_run(run["id"])
    assert found is not None and found["status"] == status
    if status == "FAILURE":  # the lapsed lease's message names the renewal's length
        (line,) = await catalog.run_logs(run["id"])
        assert line["message"] == LAPSED.format(seconds=0.2)
