"""The live-event queue on Redis Streams, for several replicas sharing the load.

Events go to one stream per integration, read through one consumer group: each replica
is a consumer, and an event is delivered to one of them. Order per key holds across
replicas through one list per key holding the ids of its events in arrival order: an
event is handed to a worker only when it heads its key's list, and leaves the list when
it is done or buried. Unacknowledged events come back: a replica first re-reads what it
was given before a restart, and claims what a dead replica was given. A replica that
takes events says it is alive (a key that expires after ``reclaim`` seconds, renewed by a
task of its own three times as often, however long its events take to apply); every
``reclaim / 2`` seconds each replica looks for consumers of the group that hold events and
no longer say so, and claims their events (an event claimed by another replica since is
not taken again: it must have been idle for a third of ``reclaim``). A live replica's
events are never claimed, so none is applied twice while its first delivery still runs,
and a dead one's are claimed whenever it died. Buried events live in a second stream, the
dead-letter list.

Every call that fails because Redis cannot be reached (or refuses it) raises
:class:`~ocean.errors.QueueUnavailableError`: the route answers 503 and the workers retry.
A Redis that comes back without its data (no persistence) has lost the stream and the
consumer group: reading recreates them (the NOGROUP reply) and carries on with the
events accepted since.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import socket
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import orjson
import redis.asyncio as redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.commands.core import AsyncScript
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError, ResponseError

from ocean.errors import QueueUnavailableError, StoreError
from ocean.live.queue import QueuedEvent
from ocean.store.group_commit import GroupCommit

_PUT = """
local id = redis.call('XADD', KEYS[1], '*', 'path', ARGV[1], 'payload', ARGV[2],
    'headers', ARGV[3], 'key', ARGV[4], 'received', ARGV[5])
if ARGV[4] ~= '' then redis.call('RPUSH', KEYS[2], id) end
return id
"""
_FINISH = """
redis.call('XACK', KEYS[1], ARGV[1], ARGV[2])
redis.call('XDEL', KEYS[1], ARGV[2])
if redis.call('LINDEX', KEYS[2], 0) == ARGV[2] then redis.call('LPOP', KEYS[2]) end
if ARGV[3] ~= '' then
    redis.call('XADD', KEYS[3], '*', 'path', ARGV[4], 'payload', ARGV[5], 'headers', ARGV[6],
        'key', ARGV[7], 'received', ARGV[8], 'attempts', ARGV[9], 'error', ARGV[3])
end
return 1
"""
_GROUP = "workers"
_Arg = bytes | str | int | float
_Call = tuple[list[str], list[_Arg]]
"""A script's keys and arguments."""
_log = logging.getLogger(__name__)
T = TypeVar("T")


def _client(url: str) -> redis.Redis:
    """Fail fast while Redis is down, so that the route answers 503 soon: one immediate
    retry on a dropped connection (a pooled one a restart closed), none on a timeout, and
    short connect and read timeouts (a read blocks for a worker's poll, under a second);
    the URL's own options win."""
    retry = Retry(NoBackoff(), 1, supported_errors=(RedisConnectionError,))
    return redis.Redis.from_url(url, retry=retry, socket_connect_timeout=2.0, socket_timeout=5.0)


def _where(client: redis.Redis) -> str:
    """The queue's address without credentials."""
    options = client.connection_pool.connection_kwargs
    if "path" in options:
        return f"unix://{options['path']}"
    host, port = options.get("host", "localhost"), options.get("port", 6379)
    return f"redis://{host}:{port}/{options.get('db', 0)}"


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


class RedisEventQueue:
    """Open with :meth:`open`."""

    def __init__(
        self, client: redis.Redis, integration: str, *, reclaim: float, consumer: str
    ) -> None:
        self._redis, self._reclaim = client, reclaim
        self._where = _where(client)
        self._prefix = f"ocean:{integration}:events"
        self._stream, self._dead = f"{self._prefix}:stream", f"{self._prefix}:dead"
        self._consumer = consumer
        self._put, self._finish = client.register_script(_PUT), client.register_script(_FINISH)
        self._puts: GroupCommit[_Call, Any] = GroupCommit(
            lambda calls: self._call(lambda: self._pipelined(self._put, calls))
        )
        self._dones: GroupCommit[_Call, Any] = GroupCommit(
            lambda calls: self._call(lambda: self._pipelined(self._finish, calls))
        )
        self._buffer: dict[str, QueuedEvent] = {}
        self._handed: set[str] = set()
        self._recovered = False
        self._next_claim = 0.0
        """When (monotonic) to look for dead consumers' events next."""
        self._beating: asyncio.Task[None] | None = None

    @classmethod
    async def open(
        cls, url: str, integration: str, *, reclaim: float = 60.0, consumer: str | None = None
    ) -> RedisEventQueue:
        """``consumer`` names this replica in the group (default: the host name); a restart
        under the same name takes back what it was given before."""
        client = _client(url)
        try:
            await client.xgroup_create(
                f"ocean:{integration}:events:stream", _GROUP, id="0", mkstream=True
            )
        except ResponseError as error:
            if "BUSYGROUP" not in str(error):
                raise StoreError(
                    f"cannot create the live-event consumer group on {url}: {error}"
                ) from None
        except (RedisError, OSError) as error:
            where = _where(client)
            await client.aclose()
            raise StoreError(
                f"cannot reach the live-event queue at {where}: {error}; start Redis or set "
                "OCEAN__LIVE_EVENTS__QUEUE_URL to sqlite:///PATH"
            ) from None
        return cls(client, integration, reclaim=reclaim, consumer=consumer or socket.gethostname())

    def _key_list(self, key: str | None) -> str:
        return f"{self._prefix}:key:{key or ''}"

    def _alive(self, consumer: str) -> str:
        return f"{self._prefix}:alive:{consumer}"

    async def _call(self, action: Callable[[], Awaitable[T]]) -> T:
        """``action`` against Redis; recreates a vanished consumer group once, and turns
        any failure to reach Redis (or a refusal) into :class:`QueueUnavailableError`."""
        try:
            try:
                return await action()
            except ResponseError as error:
                if not str(error).startswith("NOGROUP"):
                    raise
                await self._regroup()
                return await action()
        except (RedisError, OSError) as error:
            self._recovered = False  # a reply lost mid-outage left events pending for us
            raise QueueUnavailableError(
                f"the live-event queue at {self._where} is unreachable "
                f"({type(error).__name__}: {error}): start Redis or fix "
                "OCEAN__LIVE_EVENTS__QUEUE_URL"
            ) from error

    async def _regroup(self) -> None:
        """Redis came back without the stream or its consumer group (no persistence)."""
        try:
            await self._redis.xgroup_create(self._stream, _GROUP, id="0", mkstream=True)
        except ResponseError as error:
            if "BUSYGROUP" not in str(error):
                raise
            return  # another replica recreated it first
        self._buffer.clear()  # those events went with Redis's data
        _log.warning(
            "the live-event stream's consumer group was gone from %s (Redis restarted "
            "without persistence?): recreated it; events accepted before the restart and "
            "not yet applied were lost with Redis's data (enable appendonly to keep them)",
            self._where,
        )

    async def put(
        self,
        path: str,
        payload: dict[str, Any],
        headers: dict[str, str],
        key: str | None,
        body: bytes = b"",
    ) -> QueuedEvent:
        event = QueuedEvent("", path, payload, headers, key, time.time(), body=body)
        args: list[_Arg] = [path, event.stored, orjson.dumps(headers), key or ""]
        args.append(repr(event.received_at))
        event.id = _text(await self._puts.submit(([self._stream, self._key_list(key)], args)))
        return event

    async def _pipelined(self, script: AsyncScript, calls: list[_Call]) -> list[Any]:
        """``script`` once per call, in one round trip (the events arriving or finishing
        while the previous trip was under way)."""
        async with self._redis.pipeline(transaction=False) as pipe:  # released when left
            for keys, args in calls:
                await script(keys=keys, args=args, client=pipe)
            return list(await pipe.execute())

    async def take(self, limit: int, *, timeout: float) -> list[QueuedEvent]:
        return await self._call(lambda: self._take(limit, timeout))

    async def _take(self, limit: int, timeout: float) -> list[QueuedEvent]:
        if self._beating is None:
            await self._beat()  # alive before it recovers: no other replica claims from it
            self._beating = asyncio.create_task(self._beat_on())
        if not self._recovered:
            await self._recover()
        elif time.monotonic() >= self._next_claim:
            await self._claim_from_the_dead()
        block = 20 if self._buffer else max(1, int(timeout * 1000))
        replies = await self._redis.xreadgroup(
            _GROUP, self._consumer, {self._stream: ">"}, count=limit, block=block
        )
        self._keep(replies)
        return await self._deliverable(limit)

    async def _beat(self) -> None:
        await self._redis.set(self._alive(self._consumer), 1, px=int(self._reclaim * 1000))

    async def _beat_on(self) -> None:
        """Say this replica is alive three times per ``reclaim``, until it closes; a beat
        that fails is tried again at the next (the workers notice the outage themselves)."""
        while True:
            await asyncio.sleep(self._reclaim / 3)
            try:
                await self._beat()
            except (RedisError, OSError) as error:
                _log.debug("live-event queue: could not say %s is alive: %s", self._consumer, error)

    async def _recover(self) -> None:
        """What this consumer was given before a restart, and what dead ones were given."""
        self._keep(await self._redis.xreadgroup(_GROUP, self._consumer, {self._stream: "0"}))
        await self._claim_from_the_dead()
        self._recovered = True

    async def _claim_from_the_dead(self) -> None:
        """Claim the events of the group's consumers that are not alive. A dead one that
        holds none and has not read for ten times ``reclaim`` leaves the group (a replica
        restarted under a new host name would otherwise stay listed for good)."""
        self._next_claim = time.monotonic() + self._reclaim / 2
        for consumer in await self._redis.xinfo_consumers(self._stream, _GROUP):
            name = _text(consumer["name"])
            if name == self._consumer or await self._redis.exists(self._alive(name)):
                continue
            if int(consumer["pending"]):
                await self._claim_all(name)
            elif int(consumer["idle"]) > self._reclaim * 10_000:
                await self._redis.xgroup_delconsumer(self._stream, _GROUP, name)

    async def _claim_all(self, consumer: str) -> None:
        """Every event ``consumer`` holds, a hundred at a time: those another replica has
        not claimed in the last third of ``reclaim`` (two replicas claiming at once take
        each event once)."""
        fresh, start = int(self._reclaim * 1000 / 3), "-"
        while True:
            pending = await self._redis.xpending_range(
                self._stream, _GROUP, min=start, max="+", count=100, consumername=consumer
            )
            if not pending:
                return
            ids: list[Any] = [_text(entry["message_id"]) for entry in pending]
            claimed = await self._redis.xclaim(self._stream, _GROUP, self._consumer, fresh, ids)
            self._keep([[self._stream, claimed]])
            _log.info(
                "live-event queue: claimed %d event(s) of %s, which no longer says it is alive",
                len(claimed), consumer,
            )  # fmt: skip
            if len(pending) < 100:
                return
            start = f"({ids[-1]}"

    def _keep(self, replies: Any) -> None:
        entries = [entry for _stream, batch in replies or [] for entry in batch if entry[1]]
        for stream_id, fields in entries:
            event = _event(_text(stream_id), fields)
            if event.id not in self._handed:
                self._buffer[event.id] = event

    async def _deliverable(self, limit: int) -> list[QueuedEvent]:
        """The buffered events that head their key's list (or have no key), in one trip."""
        keys = list(dict.fromkeys(e.key for e in self._buffer.values() if e.key is not None))
        async with self._redis.pipeline(transaction=False) as pipe:
            for key in keys:
                pipe.lindex(self._key_list(key), 0)
            heads = dict(zip(keys, await pipe.execute() if keys else [], strict=True))
        ready: list[QueuedEvent] = []
        for event in list(self._buffer.values()):
            if len(ready) >= limit:
                break
            head = heads.get(event.key) if event.key is not None else event.id
            if head is not None and _text(head) == event.id:
                ready.append(self._buffer.pop(event.id))
                self._handed.add(event.id)
        return ready

    async def done(self, event: QueuedEvent) -> None:
        args: list[_Arg] = [_GROUP, event.id, ""]
        await self._dones.submit(([self._stream, self._key_list(event.key)], args))
        self._handed.discard(event.id)

    async def bury(self, event: QueuedEvent, error: str) -> None:
        error = error or "failed"
        args: list[_Arg] = [_GROUP, event.id, error, event.path, event.stored]
        args += [
            orjson.dumps(event.headers),
            event.key or "",
            repr(event.received_at),
            event.attempts,
        ]
        keys = [self._stream, self._key_list(event.key), self._dead]
        await self._call(lambda: self._finish(keys=keys, args=args))
        self._handed.discard(event.id)

    async def dead(self) -> list[QueuedEvent]:
        entries: Any = await self._call(lambda: self._redis.xrange(self._dead))
        return [_event(_text(stream_id), fields) for stream_id, fields in entries]

    async def revive(self, ids: list[str] | None = None) -> int:
        revived = 0
        for event in await self.dead():
            if ids is None or event.id in ids:
                await self.put(event.path, event.payload, event.headers, event.key, event.body)
                await self._call(functools.partial(self._redis.xdel, self._dead, event.id))
                revived += 1
        return revived

    async def depth(self) -> int:
        return int(await self._call(lambda: self._redis.xlen(self._stream)))

    async def close(self) -> None:
        if self._beating is not None:
            self._beating.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._beating
        await self._redis.aclose()


def _event(stream_id: str, fields: dict[bytes, bytes]) -> QueuedEvent:
    key = fields.get(b"key", b"").decode()
    return QueuedEvent(
        id=stream_id,
        path=fields[b"path"].decode(),
        payload=orjson.loads(fields[b"payload"]),
        headers=orjson.loads(fields[b"headers"]),
        key=key or None,
        received_at=float(fields[b"received"]),
        attempts=int(fields.get(b"attempts", b"0")),
        error=fields[b"error"].decode() if b"error" in fields else None,
        body=fields[b"payload"],
    )
