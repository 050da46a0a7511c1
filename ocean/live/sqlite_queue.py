"""The live-event queue in a SQLite file (by default beside the embedded catalog).

One row per event, committed before the route answers. Events that arrive while a commit is
under way wait for it and are committed together in the next transaction (group commit), and
so are the deletions of events done meanwhile: one commit serves many events, made on the
event loop itself (:mod:`ocean.live.sqlite_queue_writes`). Scheduling is in memory: the
queue reads rows in ``seq`` order past a cursor, and hands out an event with a key only when
none of its key's is out (handed out and not finished) or waiting before it: the head of
each key, as the Redis queue does. The others wait their turn, in memory up to
:data:`~ocean.live.key_turns.WAITING_MAX` over all keys, past it in the file only (read
again through an index on the key when their turn comes), while the cursor reads on past
them: a long backlog behind one slow key holds no other key's events up, and memory stays
bounded. After a restart every row still present (not done, not buried) is delivered again.
One process takes a queue file's events of one integration at a time (use Redis to share the
applying); other processes may put events in it (acceptors: :mod:`ocean.live.acceptors`).
The file is in WAL mode and each put's transaction starts with its write, so puts from
several processes wait for the write lock in turn, and a row's ``seq`` is given under that
lock: rows commit in ``seq`` order, and the reader's cursor skips none. Another process's
puts wake the reader through :meth:`SQLiteEventQueue.arrived`.

The events this process put are handed out from memory, not read back from the file (a
read and a trip to the queue's thread per take: the route and the workers in one process
took 100 µs of CPU per event instead of 123), as long as the file can hold no row it does
not know of. It reads the file again after a restart,
when told of another process's puts, after it revived dead events, when a put's ``seq``
is not the one after the last it knew (another process put rows in between: their seqs
are taken), when an idle take times out (rows put by a process that tells no one, such as
``ocean events retry``), and when more events wait than it keeps in memory.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import sqlite3
import time
from collections import deque
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import orjson

from ocean.errors import QueueUnavailableError, StoreError
from ocean.live.key_turns import KeyTurns
from ocean.live.queue import QueuedEvent, read_json, storable
from ocean.live.sqlite_queue_writes import QueueWrites
from ocean.store.group_commit import GroupCommit
from ocean.store.sqlite.thread import SQLiteThread

_EVENT = """
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    integration TEXT NOT NULL,
    path TEXT NOT NULL,
    key TEXT,
    payload BLOB NOT NULL,
    headers BLOB NOT NULL,
    received_at REAL NOT NULL"""
_SCHEMA = f"""
CREATE TABLE IF NOT EXISTS live_events ({_EVENT});
CREATE INDEX IF NOT EXISTS live_events_integration ON live_events(integration, seq);
CREATE INDEX IF NOT EXISTS live_events_key ON live_events(integration, key, seq);
CREATE TABLE IF NOT EXISTS live_events_dead ({_EVENT},
    attempts INTEGER NOT NULL,
    error TEXT NOT NULL,
    died_at REAL NOT NULL
);
"""
_WAITING = "seq, path, key, payload, headers, received_at, 0, NULL"
"""A waiting event has no attempts or error yet (retries happen inside one delivery)."""
_DEAD = "seq, path, key, payload, headers, received_at, attempts, error"


LOCAL_MAX = 4096
"""Events put here and not taken yet kept in memory, at most (about 1 KB each); past it,
they are read from the file."""


def _copy(seq: int, event: QueuedEvent, stored: bytes) -> QueuedEvent:
    """``event`` as the file would give it back: its payload read again from what was
    stored, not the route's (whose processors may have changed it; the headers were
    copied when it was put)."""
    return QueuedEvent(str(seq), event.path, read_json(stored), event.headers, event.key,
                       event.received_at, body=stored)  # fmt: skip


def _event(row: tuple[Any, ...]) -> QueuedEvent:
    seq, path, key, payload, headers, received_at, attempts, error = row
    return QueuedEvent(
        id=str(seq),
        path=path,
        payload=read_json(payload),
        headers=orjson.loads(headers),
        key=key,
        received_at=received_at,
        attempts=attempts,
        error=error,
        body=bytes(payload),
    )


class SQLiteEventQueue:
    """Open with :meth:`open`; reads and burials run on the queue's own thread, groups of
    puts and dones on the event loop (:mod:`ocean.live.sqlite_queue_writes`)."""

    def __init__(
        self,
        db: sqlite3.Connection,
        thread: SQLiteThread,
        writes: QueueWrites,
        integration: str,
    ) -> None:
        self._db, self._thread, self._integration = db, thread, integration
        self._run = thread.run
        self._cursor = 0
        self._arrived = asyncio.Event()
        self._file = writes
        self._group: GroupCommit[QueuedEvent | int, int] = GroupCommit(self._write_group)
        self._local: deque[tuple[int, QueuedEvent, bytes]] = deque()
        """Events this process put (their seq, and what the file keeps of the payload),
        committed and not handed out yet, in ``seq`` order; kept only by a queue that takes
        (until its first take, the file is unknown)."""
        self._unknown = True
        """Whether the file may hold rows past the cursor that :attr:`_local` lacks."""
        self._known = 0
        """Every row up to this ``seq`` was read or put here (0 until this process puts
        one)."""
        self._turns = KeyTurns()
        self.path: Path | None = None
        """The queue's file (named in the errors of a put it could not store)."""
        self.stored: Callable[[], None] | None = None
        """Called after each group of puts commits (an acceptor tells the taker)."""

    @classmethod
    async def open(cls, path: Path, integration: str) -> SQLiteEventQueue:
        hint = "; check that the directory is writable, or set OCEAN__LIVE_EVENTS__QUEUE_URL"
        thread, db = await SQLiteThread.start(
            f"the live-event queue {path}", functools.partial(_connect, path), hint=hint
        )
        try:
            writes = await QueueWrites.open(path, thread)
        except BaseException:
            await thread.run(db.close)
            thread.stop()
            raise
        queue = cls(db, thread, writes, integration)
        queue.path = path
        return queue

    async def put(
        self,
        path: str,
        payload: dict[str, Any],
        headers: dict[str, str],
        key: str | None,
        body: bytes = b"",
    ) -> QueuedEvent:
        event = QueuedEvent("", path, payload, dict(headers), key, time.time(), body=body)
        try:
            event.id = str(await self._group.submit(event))
        except StoreError as error:  # a full disk, a lock held past the timeout...
            raise QueueUnavailableError(
                f"the live-event queue (SQLite, {self.path}) could not store the event "
                f"({error}); free space on its disk or check the file"
            ) from error
        return event

    async def done(self, event: QueuedEvent) -> None:
        try:
            with _retried(f"mark event {event.id} done"):  # shared with puts
                await self._group.submit(int(event.id))
        finally:  # the workers keep a key's order themselves while they retry
            self._finished(event)

    async def _write_group(self, group: list[QueuedEvent | int]) -> list[int]:
        """Deletes the done events' rows and inserts the put ones, in one transaction; the
        put events wait in memory to be taken."""
        done = [(item,) for item in group if isinstance(item, int)]
        put = [item for item in group if not isinstance(item, int)]
        stored = [e.stored for e in put]
        rows = [(self._integration, e.path, e.key, payload, orjson.dumps(e.headers), e.received_at) for e, payload in zip(put, stored, strict=True)]  # fmt: skip
        last = await self._file.write(done, rows)
        first = last - len(rows) + 1
        seqs = iter(range(first, first + len(rows)))
        results = [0 if isinstance(item, int) else next(seqs) for item in group]
        if put:
            # whether no other process put rows between this group and the last row known
            follows, self._known = first == self._known + 1, last
            self._unknown |= not follows or len(self._local) + len(put) > LOCAL_MAX
            if self._unknown:
                self._local.clear()  # read from the file instead, in seq order
            else:
                self._local.extend(zip(range(first, first + len(put)), put, stored, strict=True))
            self._arrived.set()
            if self.stored is not None:
                self.stored()
        return results

    def arrived(self) -> None:
        """Events were put by another process: wake a waiting :meth:`take`."""
        self._unknown = True
        self._arrived.set()

    async def take(self, limit: int, *, timeout: float) -> list[QueuedEvent]:
        self._arrived.clear()  # before reading, so that a put landing meanwhile wakes us
        with _retried("read the waiting events"):
            events = await self._next(limit)
            if not events and timeout > 0:
                try:
                    await asyncio.wait_for(self._arrived.wait(), timeout)
                except TimeoutError:
                    self._unknown = True  # rows put by a process that told no one
                events = await self._next(limit)
        return events

    async def _next(self, limit: int) -> list[QueuedEvent]:
        """Up to ``limit`` events: the next of keys whose turn came, then those past the
        cursor. Those of the first are out once found: a read past the cursor that fails
        then is made again by the next take, rather than lose them; a take cancelled then
        puts them back (their keys would stay held until a restart)."""
        events = await self._refill(limit)
        if len(events) < limit:
            try:
                events += await self._scan(limit - len(events))
            except StoreError:
                if not events:
                    raise
            except BaseException:  # a cancel, a row that does not decode: in turn again
                self._turns.put_back(events)
                raise
        return events

    async def _scan(self, limit: int) -> list[QueuedEvent]:
        """Up to ``limit`` events past the cursor that may go out, read on past the rows of
        keys with one out until one may (or none is left): a key's backlog holds no other
        key's events up."""
        while True:
            read = await self._past_cursor(limit)
            events = [event for event in read if self._turns.hands(event)]
            if not read or events:
                return events

    async def _past_cursor(self, limit: int) -> list[QueuedEvent]:
        """Up to ``limit`` events past the cursor, which moves past them: from memory, or
        from the file when it may hold others."""
        if self._unknown:
            self._unknown = False  # a put told of from now on is read again
            try:
                rows, last = await self._run(self._after, self._cursor, limit, bool(self._known))
            except BaseException:
                self._unknown = True  # not read: the file still may hold others
                raise
            self._unknown |= len(rows) == limit
            self._known = max(self._known, last)
            events = [_event(row) for row in rows]
        else:
            local = [self._local.popleft() for _ in range(min(limit, len(self._local)))]
            events = [_copy(seq, e, stored) for seq, e, stored in local if seq > self._cursor]
        if events:
            self._cursor = max(self._cursor, int(events[-1].id))
        while self._local and self._local[0][0] <= self._cursor:
            self._local.popleft()  # read from the file already
        return events

    def _finished(self, event: QueuedEvent) -> None:
        """``event`` is done or buried: a take waits no longer for its key's next one."""
        if self._turns.finished(event):
            self._arrived.set()

    async def _refill(self, limit: int) -> list[QueuedEvent]:
        """The next event of up to ``limit`` keys whose turn came: from memory, or read from
        the file (in one trip for them all) for those whose waiting events memory dropped."""
        names, reads = self._turns.due(limit)
        if not names:
            return []
        found = await self._run(self._heads, reads, self._cursor) if reads else {}
        events = {name: [_event(row) for row in rows] for name, rows in found.items()}
        return self._turns.hand_out(names, events, reads)

    def _heads(
        self, reads: dict[str, tuple[int, int]], cursor: int
    ) -> dict[str, list[tuple[Any, ...]]]:
        """Each key's next rows after its ``seq``, up to the cursor (past it, they are read
        in turn), through the index on the key."""
        select = (
            f"SELECT {_WAITING} FROM live_events WHERE integration = ? AND key = ? "
            "AND seq > ? AND seq <= ? ORDER BY seq LIMIT ?"
        )
        args = [(name, (self._integration, name, after, cursor, n)) for name, (after, n) in reads.items()]  # fmt: skip
        return {name: self._db.execute(select, arg).fetchall() for name, arg in args}

    def _after(self, cursor: int, limit: int, putting: bool) -> tuple[list[tuple[Any, ...]], int]:
        """The rows past ``cursor``; when they are all there are and this process puts
        events (``putting``), also the last ``seq`` given, up to which every row is known
        (one read transaction for both; a taker that only reads, beside acceptors, needs
        neither), else 0."""
        select = (
            f"SELECT {_WAITING} FROM live_events WHERE integration = ? AND seq > ? "
            "ORDER BY seq LIMIT ?"
        )
        if not putting:
            return self._db.execute(select, (self._integration, cursor, limit)).fetchall(), 0
        self._db.execute("BEGIN")
        try:
            rows = self._db.execute(select, (self._integration, cursor, limit)).fetchall()
            if len(rows) == limit:
                return rows, 0
            (last,) = self._db.execute(
                "SELECT coalesce(max(seq), 0) FROM sqlite_sequence WHERE name = 'live_events'"
            ).fetchone()
            return rows, int(last)
        finally:
            self._db.commit()

    async def bury(self, event: QueuedEvent, error: str) -> None:
        try:
            with _retried(f"move event {event.id} to the dead-letter list"):
                await self._run(self._bury, int(event.id), event.attempts, storable(error))
        finally:
            self._finished(event)

    def _bury(self, seq: int, attempts: int, error: str) -> None:
        with self._db:
            self._db.execute(
                "INSERT INTO live_events_dead(integration, path, key, payload, headers, "
                "received_at, attempts, error, died_at) SELECT integration, path, key, payload, "
                "headers, received_at, ?, ?, ? FROM live_events WHERE seq = ?",
                (attempts, error, time.time(), seq),
            )
            self._db.execute("DELETE FROM live_events WHERE seq = ?", (seq,))

    async def dead(self, most: int | None = None) -> list[QueuedEvent]:
        rows = await self._run(
            lambda: self._db.execute(
                f"SELECT {_DEAD} FROM live_events_dead WHERE integration = ? ORDER BY seq LIMIT ?",
                (self._integration, -1 if most is None else most),
            ).fetchall()
        )
        return [_event(row) for row in rows]

    async def dead_count(self) -> int:
        sql = "SELECT count(*) FROM live_events_dead WHERE integration = ?"
        return int(
            await self._run(lambda: self._db.execute(sql, (self._integration,)).fetchone()[0])
        )

    async def revive(self, ids: list[str] | None = None) -> int:
        revived = await self._run(self._revive, ids)
        self.arrived()
        return revived

    def _revive(self, ids: list[str] | None) -> int:
        where, args = "integration = ?", [self._integration]
        if ids is not None:
            where += f" AND seq IN ({', '.join('?' * len(ids))})"
            args += ids
        with self._db:
            self._db.execute(
                "INSERT INTO live_events(integration, path, key, payload, headers, received_at) "
                f"SELECT integration, path, key, payload, headers, received_at "
                f"FROM live_events_dead WHERE {where} ORDER BY seq",
                args,
            )
            return self._db.execute(f"DELETE FROM live_events_dead WHERE {where}", args).rowcount

    async def depth(self) -> int:
        (count,) = await self._run(
            lambda: self._db.execute(
                "SELECT count(*) FROM live_events WHERE integration = ?", (self._integration,)
            ).fetchone()
        )
        return int(count)

    async def close(self) -> None:
        await self._file.close()
        await self._run(self._db.close)
        self._thread.stop()


@contextlib.contextmanager
def _retried(what: str) -> Iterator[None]:
    """A failure of the file (a lock held past the timeout, an I/O error, a full disk) in
    what the workers do as an outage: they retry it until the file takes it (taking events,
    finishing one), rather than stopping with the error and leaving the events queued."""
    try:
        yield
    except QueueUnavailableError:
        raise
    except StoreError as error:
        raise QueueUnavailableError(
            f"the live-event queue (SQLite) could not {what} ({error}); it is retried"
        ) from error


def _connect(path: Path) -> sqlite3.Connection:
    path.parent.mkdir(parents=True, exist_ok=True)
    db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    db.execute("PRAGMA busy_timeout=30000")
    db.isolation_level = "DEFERRED"
    db.executescript(_SCHEMA)
    return db
