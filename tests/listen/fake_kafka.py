"""A stand-in for aiokafka's consumer: messages put on its queue are fetched in order,
and what it is told to commit is kept (no broker needed)."""

from __future__ import annotations

import asyncio
import json
from collections import namedtuple
from typing import Any

from aiokafka import TopicPartition

Message = namedtuple("Message", "topic partition offset value")


class FakeConsumer:
    made: list[FakeConsumer] = []

    def __init__(self, *topics: str, **options: Any) -> None:
        self.subscribe(list(topics) or [""])
        self.queue: asyncio.Queue[bytes] = asyncio.Queue()
        self.next_offset = 0
        self.commits: list[dict[TopicPartition, int]] = []
        FakeConsumer.made.append(self)

    def subscribe(self, topics: list[str], listener: Any = None) -> None:
        """One partition of the first topic, assigned at once (``listener`` is not told)."""
        self.topic, self.partition = topics[0], TopicPartition(topics[0], 0)

    async def position(self, partition: TopicPartition) -> int:
        return self.next_offset

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        return None

    def assignment(self) -> set[TopicPartition]:
        return {self.partition}

    async def getmany(self, timeout_ms: int = 0) -> dict[TopicPartition, list[Message]]:
        try:
            value = await asyncio.wait_for(self.queue.get(), timeout_ms / 1000)
        except TimeoutError:
            return {}
        values = [value]
        while not self.queue.empty():
            values.append(self.queue.get_nowait())
        first, self.next_offset = self.next_offset, self.next_offset + len(values)
        return {
            self.partition: [Message(self.topic, 0, first + n, v) for n, v in enumerate(values)]
        }

    async def commit(self, offsets: dict[TopicPartition, int]) -> None:
        self.commits.append(dict(offsets))


def resync_request(identifier: str) -> bytes:
    return json.dumps({"action": "RESYNC", "context": {"integrationId": identifier}}).encode()
