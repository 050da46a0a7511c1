"""What live-event processors return, mapped into the changes to write: an item holding a
value that is not JSON is neither written nor deleted, and is named with its field."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from ocean.live.apply import Changes, LiveWriter, changes_of
from ocean.live.processor import WebhookEventRawResults
from ocean.load.apply import write_entities
from ocean.load.freshness import Freshness
from ocean.mapping import parse_mapping, parse_resource
from ocean.store.base import Owner
from ocean.store.sqlite.store import SQLiteStore
from ocean.transform.mapper import CompiledResource

SERVICE = CompiledResource(
    parse_resource(
        {
            "kind": "service",
            "port": {
                "entity": {
                    "mappings": {
                        "identifier": ".id",
                        "blueprint": '"service"',
                        "title": ".name",
                    }
                }
            },
        }
    ),
    env=None,
)


@pytest.mark.parametrize(
    ("value", "type_name", "hint"),
    [(b"x", "bytes", "decode it"), ({1, 2}, "set", "turn it into a list")],
    ids=["bytes", "set"],
)
@pytest.mark.parametrize("side", ["updated", "deleted"])
async def test_an_item_that_is_not_json_is_skipped_and_named(
    value: Any, type_name: str, hint: str, side: str
) -> None:
    items = [{"id": "bad", "name": value}, {"id": "good", "name": "Good"}]
    raw = WebhookEventRawResults(**{f"{side}_raw_results": items})

    changes = await changes_of([(SERVICE, raw)], 0.0)

    keys = [entity["identifier"] for entity in changes.upserts]
    assert (keys, changes.gone) == (
        (["good"], []) if side == "updated" else ([], [("service", "good")])
    )
    (error,) = changes.errors
    assert "kind 'service', item 0" in error and "field 'name'" in error
    assert (
        f"type {type_name}" in error
        and hint in error
        and "raw results a processor returns" in error
    )


@pytest.fixture
async def writer(tmp_path: Path) -> AsyncIterator[LiveWriter]:
    store = await SQLiteStore.open(tmp_path / "catalog.db")
    await store.create_blueprints([{"identifier": "service", "title": "Service", "schema": {}}])
    mapping = parse_mapping({"resources": [], "enableMergeEntity": True})
    try:
        yield LiveWriter(store=store, owner=Owner("svc", "my-svc"), mapping=mapping,
                         freshness=Freshness())  # fmt: skip
    finally:
        await store.close()


_X = {"blueprint": "service", "identifier": "x", "title": "X"}


@pytest.mark.parametrize(
    ("events", "kept"),
    [
        ([Changes([], [("service", "x")], 1.0), Changes([_X], [], 2.0)], True),
        ([Changes([_X], [], 1.0), Changes([], [("service", "x")], 2.0)], False),
        # the older event finishing last is dropped as stale, whatever it says
        ([Changes([_X], [], 2.0), Changes([], [("service", "x")], 1.0)], True),
        ([Changes([], [("service", "x")], 2.0), Changes([_X], [], 1.0)], False),
    ],
    ids=["deleted-then-made", "made-then-deleted", "stale-delete", "stale-make"],
)
async def test_events_written_in_one_group_leave_what_one_by_one_would(
    writer: LiveWriter, events: list[Changes], kept: bool
) -> None:
    assert await writer.write(Changes([_X], [], 0.5)) == []  # x exists, this owner's

    # one group: the writes are all submitted before the first group is written
    answers = await asyncio.gather(*(writer.write(changes) for changes in events))

    assert answers == [[], []]
    found = await writer.store.get_entities("service", ["x"])
    assert ("x" in found) is kept


async def _team_and_service(tmp_path: Path, cascade: bool) -> tuple[SQLiteStore, LiveWriter]:
    store = await SQLiteStore.open(tmp_path / "catalog.db")
    team = {"identifier": "team", "title": "Team", "schema": {}}
    service = {"identifier": "service", "title": "Service", "schema": {},
               "relations": {"team": {"target": "team", "many": False}}}  # fmt: skip
    await store.create_blueprints([team, service])
    mapping = parse_mapping({"resources": [], "deleteDependentEntities": cascade})
    writer = LiveWriter(store=store, owner=Owner("svc", "my-svc"), mapping=mapping,
                        freshness=Freshness())  # fmt: skip
    return store, writer


_CORE = {"blueprint": "team", "identifier": "core"}
_SVC = {"blueprint": "service", "identifier": "svc", "relations": {"team": "core"}}


@pytest.mark.parametrize("grouped", [False, True], ids=["one-by-one", "grouped"])
async def test_what_a_later_event_writes_relating_to_a_deleted_entity_stays(
    tmp_path: Path, grouped: bool
) -> None:
    """An event deleting ``core`` and a later one writing ``svc``, which relates to it: the
    cascade of the first does not take the second's entity, in one group as one by one."""
    store, writer = await _team_and_service(tmp_path, cascade=True)
    try:
        assert await writer.write(Changes([_CORE], [], 1.0)) == []
        events = [Changes([], [("team", "core")], 2.0), Changes([_SVC], [], 3.0)]
        if grouped:
            await asyncio.gather(*(writer.write(changes) for changes in events))
        else:
            for changes in events:
                await writer.write(changes)

        found = await store.get_entities("service", ["svc"])
    finally:
        await store.close()
    assert set(found) == {"svc"}


@pytest.mark.parametrize(
    ("cascade", "left", "said"),
    [
        (True, set(), []),
        (False, {"core", "svc"}, ["team/core was not deleted: service/svc relate to it and "
                                   "the mapping has deleteDependentEntities: false"]),
    ],
    ids=["dependents-deleted", "dependents-kept-and-said"],
)  # fmt: skip
async def test_an_event_deleting_an_entity_others_relate_to_follows_delete_dependent_entities(
    tmp_path: Path, cascade: bool, left: set[str], said: list[str]
) -> None:
    """As the original deletes what an event deletes (Port cascading by the mapping's
    ``deleteDependentEntities``): the entities relating to it go too, or it stays, said."""
    store, writer = await _team_and_service(tmp_path, cascade)
    try:
        assert await writer.write(Changes([_CORE, _SVC], [], 1.0)) == []

        errors = await writer.write(Changes([], [("team", "core")], 2.0))

        found = await store.get_entities("team", ["core"]) | await store.get_entities(
            "service", ["svc"]
        )
    finally:
        await store.close()
    assert set(found) == left
    assert [error[: len(said[0])] for error in errors] == said


@pytest.mark.usefixtures("forgetful_freshness")
async def test_a_write_whose_caller_was_cancelled_in_the_queue_does_not_undo_newer_data(
    writer: LiveWriter,
) -> None:
    freshness = writer.freshness
    titled = {**_X, "title": "from a resync page fetched after the live event"}

    async def live(changes: Changes) -> list[str]:  # as the workers and register_raw do
        with freshness.holding(changes.fetched_at):
            return await writer.write(changes)

    async def resync_write(fetched_at: float) -> None:  # as a resync's page, held until claimed
        with freshness.holding(fetched_at):
            async with freshness.lock:
                kept, _ = freshness.claim([titled], fetched_at)
                await write_entities(writer.store, kept, owner=writer.owner, mapping=writer.mapping)

    await freshness.lock.acquire()  # a write under way: what follows queues behind it
    first = asyncio.create_task(live(Changes([{**_X, "identifier": "z"}], [], Freshness.now())))
    await asyncio.sleep(0)
    stale = asyncio.create_task(live(Changes([_X], [], Freshness.now())))  # waits for a group
    await asyncio.sleep(0)
    resync = asyncio.create_task(resync_write(Freshness.now()))
    await asyncio.sleep(0)
    stale.cancel()  # its caller gave up (a timeout): the group commit still writes it
    await asyncio.sleep(0)
    freshness.lock.release()
    await asyncio.gather(first, resync, stale, return_exceptions=True)
    for _ in range(20):  # the group commit's next group: the cancelled caller's x
        await asyncio.sleep(0)

    found = await writer.store.get_entities("service", ["x"])
    assert found["x"]["title"] == titled["title"]
