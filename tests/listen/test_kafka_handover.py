"""The KAFKA listener's partition passed to another member of its group (a real Tansu
broker): a request whose resync the first member did not finish is run by the next."""

from __future__ import annotations

import asyncio

from aiokafka import TopicPartition
from aiokafka.errors import IllegalStateError, KafkaConnectionError
from aiokafka.util import commit_structure_validate

from ocean.listen.kafka import _anchor, _Assigned, _Resyncs
from ocean.store.open import open_store
from tests.conftest import TEAMS, Workspace, services
from tests.listen.kafka_broker import kafka_broker
from tests.listen.test_kafka import ME, _resync, consuming

__all__ = ["kafka_broker"]


async def _resync_started(workspace: Workspace) -> None:
    async with asyncio.timeout(20):
        while True:
            store = await open_store(str(workspace.catalog))
            try:
                if await store.list_runs():
                    return
            finally:
                await store.close()
            await asyncio.sleep(0.05)


async def test_the_group_s_first_request_left_unfinished_by_its_member_is_run_by_the_next_owner(
    workspace: Workspace, kafka_broker: str
) -> None:
    """Nothing was committed in the group yet: the partition's next owner started at the
    log's end (``auto_offset_reset``), past the request, and no resync ran it (before, the
    second member never resynced)."""
    workspace.environ["OCEAN__INTEGRATION__IDENTIFIER"] = ME
    workspace.set_data(services=[services(1, start=n) for n in range(4)], teams=TEAMS, slow=0.5)
    off = {"OCEAN__EVENT_LISTENER__RESYNC_ON_START": "false"}
    async with consuming(workspace, kafka_broker, **off) as first:
        org = first.topic.removesuffix(".change.log")
        await first.send(_resync(ME))
        await _resync_started(workspace)  # then the member stops (or dies) mid-resync
    assert [run.status for run in first.runs] == ["aborted"]

    async with consuming(workspace, kafka_broker, org, **off) as second:
        await second.reports_seen(1, timeout=30)
    assert [(r.trigger, r.status) for r in second.reports] == [("kafka", "completed")]
    assert len(await workspace.entities("service")) == 4


class _CommitFailsOnce:
    """One assigned partition at offset 7; its first commit fails (the broker away)."""

    def __init__(self) -> None:
        self.partition, self.commits, self.failed = TopicPartition("t", 0), [], False

    def assignment(self) -> set[TopicPartition]:
        return {self.partition}

    async def position(self, partition: TopicPartition) -> int:
        return 7

    async def commit(self, offsets: dict[TopicPartition, int]) -> None:
        if not self.failed:
            self.failed = True
            raise KafkaConnectionError("the broker is away")
        self.commits.append(offsets)


async def test_a_partition_whose_start_could_not_be_committed_is_anchored_at_the_next_fetch() -> (
    None
):
    consumer, assigned = _CommitFailsOnce(), _Assigned()
    await assigned.on_partitions_assigned({consumer.partition})

    await _anchor(consumer, assigned, {})  # type: ignore[arg-type]
    await _anchor(consumer, assigned, {})  # type: ignore[arg-type]

    assert consumer.commits == [{consumer.partition: 7}]


class _TwoPartitionsOneMoved(_CommitFailsOnce):
    """Partitions 0 and 1 were handled; 1 has moved to another member since: a commit
    naming it fails whole, as aiokafka's (IllegalStateError)."""

    def __init__(self) -> None:
        super().__init__()
        self.failed = True

    async def commit(self, offsets: dict[TopicPartition, int]) -> None:
        if set(offsets) - self.assignment():
            raise IllegalStateError("partition is not assigned")
        self.commits.append(offsets)


async def test_the_offsets_of_partitions_still_held_are_committed_when_another_has_moved() -> None:
    consumer = _TwoPartitionsOneMoved()
    resyncs = _Resyncs(start=lambda *_: None, on_report=lambda _: None)
    resyncs.offsets = {TopicPartition("t", 0): 3, TopicPartition("t", 1): 5}

    await resyncs._commit(consumer)  # type: ignore[arg-type]

    assert consumer.commits == [{TopicPartition("t", 0): 3}]


class _AllMoved(_TwoPartitionsOneMoved):
    """Partition 1 was handled and has moved: nothing handled is still held. aiokafka's
    commit refuses an empty mapping (ValueError), as it checks its offsets."""

    def assignment(self) -> set[TopicPartition]:
        return {TopicPartition("t", 0)}

    async def commit(self, offsets: dict[TopicPartition, int]) -> None:
        commit_structure_validate(offsets)
        await super().commit(offsets)


async def test_nothing_is_committed_when_every_handled_partition_has_moved() -> None:
    """(Before, the empty commit's ValueError ended the listener.)"""
    consumer = _AllMoved()
    resyncs = _Resyncs(start=lambda *_: None, on_report=lambda _: None)
    resyncs.offsets = {TopicPartition("t", 1): 5}

    await resyncs._commit(consumer)  # type: ignore[arg-type]

    assert consumer.commits == []
    assert resyncs.offsets == {}
