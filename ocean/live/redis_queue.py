"""The live-event queue on Redis Streams, for several replicas sharing the load.

Events go to one stream per integration, read through one consumer group: each replica
is a consumer, and an event is delivered to one of them. Order per key holds across
replicas through one list per key holding the ids of its events in arrival order: an
event is handed to a worker only when it heads its key's list, and leaves the list when
it is done or buried. Unacknowledged events come back: a replica first re-reads what it
was given before a restart, and claims what a dead replica was given. A replica that
takes events says it is alive (a key that expires after ``reclaim`` seconds, renewed by a
task of its own three times as often, however long its events take to apply); every
``reclaim / 2`` seconds each replica looks for consumers of the group that hold events,
no longer say so and have not read for ``reclaim`` seconds, and claims their events (an
event claimed by another replica since is not taken again: it must have been idle for a
third of ``reclaim``). A replica that says it is alive, or reads, keeps its events however
long they take to apply (one cut off from Redis for longer than ``reclaim`` while it
applies them may see them applied again elsewhere: delivery is at least once), and a dead
one's are claimed whenever it died. Buried events live in a second stream, the
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
import os
import time
import uuid
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
from ocean.live.consumer_name import alive_key, free_name
from ocean.live.queue import QueuedEvent, read_json, storable
from ocean.live.redis_scripts import FINISH, FORGET, HEADS, PUT
from ocean.masked_url import without_password
from ocean.store.group_commit import GroupCommit

_ONCE_SECONDS = 30
"""How long a group's script remembers it ran: the client sends a command again at once,
on a new connection, within its connect and read timeouts (7 s)."""
_IN_TIME = 0.8
"""The share of the client's read timeout within which Redis must run a put for it to
store it (the rest covers the reply's way back and the clock estimate's error)."""
_GROUP = "workers"
_Arg = bytes | str | int | float
_Call = tuple[str, list[_Arg]]
"""An event's key list and its arguments to a script."""
_log = logging.getLogger(__name__)
T = TypeVar("T")


def _client(url: str, *, retries: int = 1) -> redis.Redis:
    """Fail fast while Redis is down, so that the route answers 503 soon: one immediate
    retry on a dropped connection (a pooled one a restart closed), none on a timeout, and
    short connect and read timeouts (a read blocks for a worker's poll, under a second);
    the URL's own options win. ``retries=0`` for the commands that hand events out
    (``XREADGROUP >``, ``XCLAIM``): sent again after a reply was lost, they would hand out
    others, and those of the lost reply would sit in this consumer's pending list."""
    retry = Retry(NoBackoff(), retries, supported_errors=(RedisConnectionError,))
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
        self,
        client: redis.Redis,
        integration: str,
        *,
        reclaim: float,
        consumer: str,
        reader: redis.Redis | None = None,
        said_alive: bool = False,
        clock_offset: float | None = None,
    ) -> None:
        self._redis, self._reclaim = client, reclaim
        timeout = client.connection_pool.connection_kwargs.get("socket_timeout")
        self._in_time = None if clock_offset is None or not timeout else timeout * _IN_TIME
        self._clock_offset = clock_offset or 0.0
        """Redis's clock minus this one's (seconds), measured at :meth:`open`."""
        self._said_alive = said_alive
        """Its name was taken at :meth:`open` by saying it is alive (see
        :mod:`ocean.live.consumer_name`)."""
        self._reader = reader if reader is not None else client
        """Hands events out (``XREADGROUP >``, ``XCLAIM``), never sending a command again."""
        self._where = _where(client)
        self._prefix = f"ocean:{integration}:events"
        self._stream, self._dead = f"{self._prefix}:stream", f"{self._prefix}:dead"
        self._consumer = consumer
        self._put, self._finish = client.register_script(PUT), client.register_script(FINISH)
        self._heads, self._forget = client.register_script(HEADS), client.register_script(FORGET)
        self._puts: GroupCommit[_Call, Any] = GroupCommit(
            lambda calls: self._call(lambda: self._put_group(calls))
        )
        self._finishes: GroupCommit[_Call, Any] = GroupCommit(
            lambda calls: self._call(
                lambda: self._grouped(
                    self._finish,
                    [self._stream, self._dead, self._once()],
                    [_GROUP, _ONCE_SECONDS],
                    calls,
                )
            )
        )
        self._buffer: dict[str, QueuedEvent] = {}
        self._handed: set[str] = set()
        self._recovered = False
        self._next_claim = 0.0
        """When (monotonic) to look for dead consumers' events next."""
        self._beating: asyncio.Task[None] | None = None
        self._closing = False

    @classmethod
    async def open(
        cls, url: str, integration: str, *, reclaim: float = 60.0, consumer: str | None = None
    ) -> RedisEventQueue:
        """``consumer`` names this replica in the group (default: the host name, with the
        process id when another process on the host holds it: see
        :mod:`ocean.live.consumer_name`); a restart under the same name takes back what it
        was given before."""
        client = _client(url)
        try:
            await _group(client, url, integration)
            name = consumer or await free_name(client, f"ocean:{integration}:events", reclaim)
            offset = await _clock_offset(client)
        except (RedisError, OSError) as error:
            where = _where(client)
            await client.aclose()
            raise StoreError(
                f"cannot reach the live-event queue at {where}: {error}; start Redis or set "
                "OCEAN__LIVE_EVENTS__QUEUE_URL to sqlite:///PATH"
            ) from None
        reader = _client(url, retries=0)
        return cls(client, integration, reclaim=reclaim, consumer=name, reader=reader,
                   said_alive=consumer is None, clock_offset=offset)  # fmt: skip

    @property
    def consumer(self) -> str:
        """This replica's name in the consumer group."""
        return self._consumer

    def _key_list(self, key: str | None) -> str:
        return f"{self._prefix}:key:{key or ''}"

    def _alive(self, consumer: str) -> str:
        return alive_key(self._prefix, consumer)

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
        event.id = _text(await self._puts.submit((self._key_list(key), args)))
        return event

    async def _put_group(self, calls: list[_Call]) -> list[Any]:
        """One group's put; refused as late while the client still waits for it, the
        estimate of Redis's clock is wrong (its clock or this one's was set since): it is
        measured again and the group sent again (it stored nothing)."""
        try:
            return await self._grouped(
                self._put, [self._stream, self._once()], [], calls, last=True
            )
        except ResponseError as error:
            if not str(error).startswith("LATE"):
                raise
            self._clock_offset = await _clock_offset(self._redis)
            return await self._grouped(
                self._put, [self._stream, self._once()], [], calls, last=True
            )

    def _deadline(self) -> int:
        """When (milliseconds of Redis's clock) a put sent now must have run by; 0: never."""
        if self._in_time is None:
            return 0
        return int((time.time() + self._clock_offset + self._in_time) * 1000)

    def _once(self) -> str:
        """A key of its own for one group's script (see :data:`~ocean.live.redis_scripts.PUT`)."""
        return f"{self._prefix}:ran:{uuid.uuid4().hex}"

    async def _grouped(
        self,
        script: AsyncScript,
        keys: list[str],
        args: list[_Arg],
        calls: list[_Call],
        *,
        last: bool = False,
    ) -> list[Any]:
        """``script`` run once for the events arriving or finishing while the previous
        group was under way: ``keys`` and ``args``, then each event's (and, ``last``,
        :data:`_ONCE_SECONDS`). Each event gets the script's answer for it (a list), or
        its count."""
        keys = keys + [key for key, _ in calls]
        args = args + [arg for _, event in calls for arg in event]
        if last:
            args.append(_ONCE_SECONDS)
            args.append(self._deadline())
        answer = await script(keys=keys, args=args)
        return list(answer) if isinstance(answer, list) else [answer] * len(calls)

    async def take(self, limit: int, *, timeout: float) -> list[QueuedEvent]:
        return await self._call(lambda: self._take(limit, timeout))

    async def _take(self, limit: int, timeout: float) -> list[QueuedEvent]:
        if not self._recovered or not self._beats():
            await self._beat()  # alive before it reads again (after a start or an outage)
            self._beat_again()
        if not self._recovered:
            await self._recover()
        elif time.monotonic() >= self._next_claim:
            await self._claim_from_the_dead()
        block = 20 if self._buffer else max(1, int(timeout * 1000))
        try:
            replies = await self._reader.xreadgroup(
                _GROUP, self._consumer, {self._stream: ">"}, count=limit, block=block
            )
        except RedisConnectionError:
            # the connection dropped: Redis may have handed events out whose reply was
            # lost; they are pending for this consumer, read back before reading on
            await self._recover()
            replies = await self._reader.xreadgroup(
                _GROUP, self._consumer, {self._stream: ">"}, count=limit, block=block
            )
        self._keep(replies)
        return await self._deliverable(limit)

    async def _beat(self) -> None:
        await self._redis.set(
            self._alive(self._consumer), os.getpid(), px=int(self._reclaim * 1000)
        )

    def _beat_again(self) -> None:
        """(Re)start the task that says this replica is alive (one that ended has logged why)."""
        if not self._beats():
            self._beating = asyncio.create_task(self._beat_on())

    def _beats(self) -> bool:
        return self._beating is not None and not self._beating.done()

    async def _beat_on(self) -> None:
        """Say this replica is alive three times per ``reclaim``, until it closes; a beat
        that fails is tried again soon (the workers notice an outage themselves)."""
        wait = self._reclaim / 3
        while not self._closing:
            await asyncio.sleep(wait)
            try:
                await self._beat()
                wait = self._reclaim / 3
            except (RedisError, OSError) as error:
                # (redis-py may turn a cancellation mid-command into a connection error)
                _log.debug("live-event queue: could not say %s is alive: %s", self._consumer, error)
                wait = min(1.0, self._reclaim / 10)
            except Exception:
                _log.exception("live-event queue: %s stopped saying it is alive", self._consumer)
                raise

    async def _recover(self) -> None:
        """What this consumer was given before a restart, and what dead ones were given."""
        self._keep(await self._redis.xreadgroup(_GROUP, self._consumer, {self._stream: "0"}))
        await self._claim_from_the_dead()
        self._recovered = True

    async def _claim_from_the_dead(self) -> None:
        """Claim the events of the group's consumers that neither say they are alive nor
        have read for ``reclaim`` seconds. A dead one that holds none and has not read for
        ten times ``reclaim`` leaves the group (a replica restarted under a new host name
        would otherwise stay listed for good)."""
        self._next_claim = time.monotonic() + self._reclaim / 2
        for consumer in await self._redis.xinfo_consumers(self._stream, _GROUP):
            name, idle = _text(consumer["name"]), int(consumer["idle"]) / 1000
            if name == self._consumer or idle < self._reclaim:
                continue
            if await self._redis.exists(self._alive(name)):
                continue
            if int(consumer["pending"]):
                await self._claim_all(name)
            elif idle > self._reclaim * 10:
                await self._forget(keys=[self._stream, self._alive(name)], args=[_GROUP, name])

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
            claimed = await self._reader.xclaim(self._stream, _GROUP, self._consumer, fresh, ids)
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
        keyed = [event for event in self._buffer.values() if event.key is not None]
        keys, ids = [self._key_list(event.key) for event in keyed], [event.id for event in keyed]
        flags = await self._heads(keys=keys, args=ids) if keyed else []
        heads = {event.id for event, flag in zip(keyed, flags, strict=True) if flag}
        ready: list[QueuedEvent] = []
        for event in list(self._buffer.values()):
            if len(ready) >= limit:
                break
            if event.key is None or event.id in heads:
                ready.append(self._buffer.pop(event.id))
                self._handed.add(event.id)
        return ready

    async def done(self, event: QueuedEvent) -> None:
        args: list[_Arg] = [event.id, "", "", "", "", "", "", ""]
        await self._finishes.submit((self._key_list(event.key), args))
        self._handed.discard(event.id)

    async def bury(self, event: QueuedEvent, error: str) -> None:
        args: list[_Arg] = [event.id, storable(error) or "failed", event.path, event.stored]
        args += [orjson.dumps(event.headers), event.key or "", repr(event.received_at)]
        args.append(event.attempts)
        await self._finishes.submit((self._key_list(event.key), args))
        self._handed.discard(event.id)

    async def dead(self, most: int | None = None) -> list[QueuedEvent]:
        entries: Any = await self._call(lambda: self._redis.xrange(self._dead, count=most))
        return [_event(_text(stream_id), fields) for stream_id, fields in entries]

    async def dead_count(self) -> int:
        return int(await self._call(lambda: self._redis.xlen(self._dead)))

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
        """Stop saying this replica is alive (what it holds is claimed sooner), and close."""
        self._closing = True
        try:
            if self._beating is not None:
                self._beating.cancel()
                await asyncio.wait([self._beating])
            if self._beating is not None or self._said_alive:
                with contextlib.suppress(RedisError, OSError):
                    await self._redis.delete(self._alive(self._consumer))
        finally:
            await self._redis.aclose()
            if self._reader is not self._redis:
                await self._reader.aclose()


async def _clock_offset(client: redis.Redis) -> float:
    """Redis's clock minus this one's, in seconds (to within half the round trip)."""
    before = time.time()
    seconds, microseconds = await client.time()
    return seconds + microseconds / 1e6 - (before + time.time()) / 2


async def _group(client: redis.Redis, url: str, integration: str) -> None:
    """Create the integration's stream and consumer group, unless they exist."""
    try:
        await client.xgroup_create(
            f"ocean:{integration}:events:stream", _GROUP, id="0", mkstream=True
        )
    except ResponseError as error:
        if "BUSYGROUP" not in str(error):
            raise StoreError(
                f"cannot create the live-event consumer group on {without_password(url)}: {error}"
            ) from None


def _event(stream_id: str, fields: dict[bytes, bytes]) -> QueuedEvent:
    key = fields.get(b"key", b"").decode()
    return QueuedEvent(
        id=stream_id,
        path=fields[b"path"].decode(),
        payload=read_json(fields[b"payload"]),
        headers=orjson.loads(fields[b"headers"]),
        key=key or None,
        received_at=float(fields[b"received"]),
        attempts=int(fields.get(b"attempts", b"0")),
        error=fields[b"error"].decode() if b"error" in fields else None,
        body=fields[b"payload"],
    )
