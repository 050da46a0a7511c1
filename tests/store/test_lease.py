"""The resync lease on every catalog that keeps one (SQLite on a thread and in its own
process, PostgreSQL): taken atomically, renewed, given up, and lapsing when not renewed."""

from __future__ import annotations

import asyncio
import dataclasses

import pytest

from ocean.errors import LeaseLostError
from ocean.store.base import ABANDONED_ERROR, Owner, RunRecord, Store
from ocean.store.lease import Fence, LeaseHolder, LeasesResyncs

A = LeaseHolder(id="a" * 16, host="host-a", pid=101)
B = LeaseHolder(id="b" * 16, host="host-b", pid=202)
OWNER = Owner("gh", "gh-1", "1.0.0")


def leases(store: Store) -> LeasesResyncs:
    assert isinstance(store, LeasesResyncs)
    return store


async def test_a_free_lease_is_taken_and_another_holder_is_refused_with_its_holder(
    store: Store,
) -> None:
    taken = await leases(store).acquire_lease("my-integration", A, 30)
    refused = await leases(store).acquire_lease("my-integration", B, 30)

    assert taken.held_by(A) and taken.acquired_at and taken.expires_at
    assert taken.acquired_at < taken.expires_at and taken.completed_at is None
    assert not refused.held_by(B)
    assert refused.holder == A
    assert (refused.acquired_at, refused.expires_at) == (taken.acquired_at, taken.expires_at)
    other = await leases(store).acquire_lease("another-integration", B, 30)
    assert other.held_by(B)  # one lease per integration identifier


async def test_the_holder_renews_and_takes_it_again_keeping_its_start(store: Store) -> None:
    first = await leases(store).acquire_lease("my-integration", A, 1)
    await asyncio.sleep(0.01)
    again = await leases(store).acquire_lease("my-integration", A, 60)

    assert again.held_by(A)
    assert again.acquired_at == first.acquired_at
    assert str(again.expires_at) > str(first.expires_at)
    assert await leases(store).renew_lease("my-integration", A, 60)
    assert not await leases(store).renew_lease("my-integration", B, 60)


async def test_a_released_lease_is_free_and_remembers_a_completed_resync(store: Store) -> None:
    await leases(store).acquire_lease("my-integration", A, 30)
    await leases(store).release_lease("my-integration", B, completed=True)  # not B's: nothing
    assert (await leases(store).acquire_lease("my-integration", B, 30)).holder == A

    await leases(store).release_lease("my-integration", A, completed=True)
    assert not await leases(store).renew_lease("my-integration", A, 30)
    taken = await leases(store).acquire_lease("my-integration", B, 30)
    assert taken.held_by(B) and taken.completed_at is not None
    await leases(store).release_lease("my-integration", B, completed=False)
    again = await leases(store).acquire_lease("my-integration", A, 30)
    assert again.held_by(A) and again.completed_at == taken.completed_at


async def test_a_lease_not_renewed_lapses_and_its_holder_cannot_renew_it_after_another_took_it(
    store: Store,
) -> None:
    await leases(store).acquire_lease("my-integration", A, 0.2)
    assert (await leases(store).acquire_lease("my-integration", B, 30)).holder == A
    await asyncio.sleep(0.3)

    taken = await leases(store).acquire_lease("my-integration", B, 30)

    assert taken.held_by(B)
    assert not await leases(store).renew_lease("my-integration", A, 30)
    await leases(store).release_lease("my-integration", A, completed=True)
    assert (await leases(store).acquire_lease("my-integration", A, 30)).holder == B


async def test_of_many_holders_taking_a_free_lease_at_once_exactly_one_gets_it(
    store: Store,
) -> None:
    holders = [LeaseHolder(id=f"holder-{n}", host="h", pid=n) for n in range(8)]

    found = await asyncio.gather(
        *(leases(store).acquire_lease("my-integration", h, 30) for h in holders)
    )

    winners = {lease.holder for lease in found}
    assert len(winners) == 1
    assert sum(lease.held_by(h) for lease, h in zip(found, holders, strict=True)) == 1


async def test_taking_the_lease_ends_a_run_its_dead_holder_left_running(store: Store) -> None:
    started = RunRecord("gh", "manual", "2026-01-01T00:00:00.000Z", None, "running",
                        report={"status": "running", "errors": []})  # fmt: skip
    left = await store.record_run(started)
    other = await store.record_run(dataclasses.replace(started, integration="jira"))

    await leases(store).acquire_lease("gh", A, 30)

    runs = {run.id: run for run in await store.list_runs()}
    assert (runs[left].status, runs[left].report["status"]) == ("aborted", "aborted")
    assert runs[left].report["errors"] == [ABANDONED_ERROR] and runs[left].ended_at
    assert runs[other].status == "running"  # another integration's run is not this lease's


@pytest.mark.parametrize("lease", ["held", "taken by another", "lapsed", "released", "never taken"])
async def test_a_fenced_deletion_deletes_only_while_its_holder_holds_the_lease(
    store: Store, lease: str
) -> None:
    await store.create_blueprints([{"identifier": "svc", "title": "S", "schema": {}}])
    keys = [("svc", "a"), ("svc", "b")]
    entities = [{"identifier": i, "blueprint": b} for b, i in keys]
    await store.upsert_entities(entities, owner=OWNER, merge=True)
    if lease != "never taken":
        await leases(store).acquire_lease("my-integration", A, 0.2 if lease == "lapsed" else 30)
    if lease == "taken by another":
        await leases(store).release_lease("my-integration", A, completed=False)
        await leases(store).acquire_lease("my-integration", B, 30)
    elif lease == "released":
        await leases(store).release_lease("my-integration", A, completed=False)
    elif lease == "lapsed":
        await asyncio.sleep(0.3)
    fence = Fence("my-integration", A)

    if lease == "held":
        deleted = await store.delete_entities(keys, delete_dependents=False, fence=fence)
        assert deleted.deleted == keys
        return
    with pytest.raises(LeaseLostError, match="no longer holds its lease.*were not deleted"):
        await store.delete_entities(keys, delete_dependents=False, fence=fence)
    assert {e["identifier"] async for e in store.iter_entities("svc")} == {"a", "b"}
