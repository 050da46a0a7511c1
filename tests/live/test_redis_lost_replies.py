"""A Redis connection that drops between Redis running a command and the replica reading
its reply: what the command handed to this replica is not lost in its pending list, and a
group of puts or burials sent again is stored once.

A TCP relay between the queue and the real Redis drops the reply of one chosen command and
closes the connection, as a network failure, a proxy or a failover does. redis-py sends a
command again on a new connection after such a drop (the queue's client allows it one
immediate retry): ``XREADGROUP ... >`` sent again hands out the *next* entries, and those
the first one handed to this consumer sit in its pending list, read by no one."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import pytest

from ocean.live.redis_queue import RedisEventQueue
from tests.loopback import free_port

REDIS_HOST, REDIS_PORT = "127.0.0.1", 6379
REDIS_URL = f"redis://{REDIS_HOST}:{REDIS_PORT}/0"


class _Relay:
    """Relays connections to Redis; ``drop_reply_to`` (a command's bytes, such as
    ``b"XREADGROUP"``) makes the next command containing it reach Redis, and its reply never
    reach the client: the client's connection is closed instead."""

    def __init__(self) -> None:
        self.drop_reply_to: bytes | None = None
        self.dropped = asyncio.Event()
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._writers: list[asyncio.StreamWriter] = []
        self.port = free_port()

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", self.port)

    async def close(self) -> None:
        assert self._server is not None
        self._server.close()
        for writer in self._writers:  # each relayed connection ends
            writer.close()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _serve(self, client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        server_r, server_w = await asyncio.open_connection(REDIS_HOST, REDIS_PORT)
        self._writers += [client_w, server_w]
        cut = asyncio.Event()

        async def upstream() -> None:
            while data := await client_r.read(65536):  # (one command a read, as the queue sends)
                if self.drop_reply_to is not None and self.drop_reply_to in data:
                    self.drop_reply_to = None
                    cut.set()
                server_w.write(data)
                await server_w.drain()

        async def downstream() -> None:
            while True:
                data = await server_r.read(65536)
                if not data:
                    return
                if cut.is_set():  # Redis ran it and answered: the answer is lost
                    self.dropped.set()
                    return
                client_w.write(data)
                await client_w.drain()

        tasks = [asyncio.create_task(upstream()), asyncio.create_task(downstream())]
        try:
            await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for t in tasks:
                t.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            for writer in (client_w, server_w):
                writer.close()
                with contextlib.suppress(Exception):
                    await writer.wait_closed()
            self._tasks.discard(task)


@pytest.fixture
async def relay() -> AsyncIterator[_Relay]:
    relay = _Relay()
    await relay.start()
    yield relay
    await relay.close()


async def test_events_a_read_handed_out_before_its_reply_was_lost_are_still_taken(
    integration: str, relay: _Relay
) -> None:
    url = f"redis://127.0.0.1:{relay.port}/0"
    queue = await RedisEventQueue.open(url, integration, consumer="replica-a")
    try:
        assert await queue.take(10, timeout=0.05) == []  # recovered: reads with ">" from now
        await queue.put("/hook", {"n": 1}, {}, "ticket-1")
        await queue.put("/hook", {"n": 2}, {}, None)

        relay.drop_reply_to = b"XREADGROUP"  # Redis hands both out; the reply is lost
        taken = await queue.take(10, timeout=0.05)
        assert relay.dropped.is_set()

        await queue.put("/hook", {"n": 3}, {}, "ticket-1")  # behind n=1 in its key
        for _ in range(20):  # no failure was seen: no outage, no restart
            for event in taken:
                await queue.done(event)
            taken = await queue.take(10, timeout=0.05)
            if not taken and not await queue.depth():
                break
        assert await queue.depth() == 0, "accepted events stay in the stream, never applied"
    finally:
        await queue.close()


@pytest.mark.parametrize("what", ["put", "burial"])
async def test_a_group_sent_again_after_its_reply_was_lost_is_stored_once(
    integration: str, relay: _Relay, what: str
) -> None:
    """The client sends the group's script again on a new connection: run twice, it would
    queue the event twice (applied twice), or bury it twice (revived twice)."""
    url = f"redis://127.0.0.1:{relay.port}/0"
    queue = await RedisEventQueue.open(url, integration, consumer="replica-a")
    try:
        await queue.put("/hook", {"n": 0}, {}, None)  # (the scripts loaded)
        if what == "burial":
            (event,) = await queue.take(10, timeout=0.05)
        relay.drop_reply_to = b"EVALSHA"  # Redis runs it; the reply is lost
        if what == "put":
            await queue.put("/hook", {"n": 1}, {}, "ticket-1")
        else:
            await queue.bury(event, "the API answered 500")
        assert relay.dropped.is_set()
        stored = await queue.depth() if what == "put" else len(await queue.dead())
    finally:
        await queue.close()

    assert stored == (2 if what == "put" else 1)
