"""The live-event queue in a SQLite file (by default beside the embedded catalog).

One row per event, committed before the route answers. Events that arrive while a
commit is under way wait for it and are committed together in the next transaction (group
commit), and so are the rows of events done meanwhile: one commit, and one trip to the
queue's thread, serves many events. Scheduling is in memory: the
queue hands out rows in ``seq`` order past the last one handed out, so after a restart
every row still present (not done, not buried) is delivered again. One process takes a
queue file's events of one integration at a time (use Redis to share the applying); other
processes may put events in it (acceptors: :mod:`ocean.live.acceptors`). The file is in WAL
mode and each put's transaction starts with its write, so puts from several processes wait
for the write lock in turn, and a row's ``seq`` is given under that lock: rows commit in
``seq`` order, and the reader's cursor skips none. Another process's puts wake the reader
through :meth:`SQLiteEventQueue.arrived`.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson

from ocean.errors import QueueUnavailableError, StoreError
from ocean.live.queue import QueuedEvent
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
CREATE TABLE IF NOT EXISTS live_events_dead ({_EVENT},
    attempts INTEGER NOT NULL,
    error TEXT NOT NULL,
    died_at REAL NOT NULL
);
"""
_WAITING = "seq, path, key, payload, headers, received_at, 0, NULL"
"""A waiting event has no attempts or error yet (retries happen inside one delivery)."""
_DEAD = "seq, path, key, payload, headers, received_at, attempts, error"


def _event(row: tuple[Any, ...]) -> QueuedEvent:
    seq, path, key, payload, headers, received_at, attempts, error = row
    return QueuedEvent(
        id=str(seq),
        path=path,
        payload=orjson.loads(payload),
        headers=orjson.loads(headers),
        key=key,
        received_at=received_at,
        attempts=attempts,
        error=error,
        body=bytes(payload),
    )


class SQLiteEventQueue:
    """Open with :meth:`open`; every database call runs on the queue's own thread."""

    def __init__(self, db: sqlite3.Connection, thread: SQLiteThread, integration: str) -> None:
        self._db, self._thread, self._integration = db, thread, integration
        self._run = thread.run
        self._cursor = 0
        self._arrived = asyncio.Event()
        self._inserts: GroupCommit[tuple[Any, ...], int] = GroupCommit(self._insert_group)
        self._deletes: GroupCommit[int, None] = GroupCommit(self._delete_group)
        self.stored: Callable[[], None] | None = None
        """Called after each group of puts commits (an acceptor tells the taker)."""

    @classmethod
    async def open(cls, path: Path, integration: str) -> SQLiteEventQueue:
        hint = "; check that the directory is writable, or set OCEAN__LIVE_EVENTS__QUEUE_URL"
        thread, db = await SQLiteThread.start(
            f"the live-event queue {path}", functools.partial(_connect, path), hint=hint
        )
        return cls(db, thread, integration)

    async def put(
        self,
        path: str,
        payload: dict[str, Any],
        headers: dict[str, str],
        key: str | None,
        body: bytes = b"",
    ) -> QueuedEvent:
        event = QueuedEvent("", path, payload, headers, key, time.time(), body=body)
        row = (self._integration, path, key, event.stored, orjson.dumps(headers), event.received_at)
        try:
            event.id = str(await self._inserts.submit(row))
        except StoreError as error:  # a full disk, a lock held past the timeout...
            raise QueueUnavailableError(
                f"the live-event queue (SQLite) could not store the event ({error}); "
                "free disk space or check the file, then send it again"
            ) from error
        self._arrived.set()
        return event

    async def _insert_group(self, rows: list[tuple[Any, ...]]) -> list[int]:
        seqs = await self._run(self._insert, rows)
        if self.stored is not None:
            self.stored()
        return seqs

    def arrived(self) -> None:
        """Events were put by another process: wake a waiting :meth:`take`."""
        self._arrived.set()

    def _insert(self, rows: list[tuple[Any, ...]]) -> list[int]:
        """One transaction for ``rows``; their ``seq``, in order."""
        insert = (
            "INSERT INTO live_events(integration, path, key, payload, headers, received_at) "
            "VALUES (?, ?, ?, ?, ?, ?)"
        )
        with self._db:
            return [int(self._db.execute(insert, row).lastrowid or 0) for row in rows]

    async def take(self, limit: int, *, timeout: float) -> list[QueuedEvent]:
        self._arrived.clear()  # before reading, so that a put landing meanwhile wakes us
        rows = await self._run(self._after, self._cursor, limit)
        if not rows and timeout > 0:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._arrived.wait(), timeout)
            rows = await self._run(self._after, self._cursor, limit)
        if rows:
            self._cursor = rows[-1][0]
        return [_event(row) for row in rows]

    def _after(self, cursor: int, limit: int) -> list[tuple[Any, ...]]:
        return self._db.execute(
            f"SELECT {_WAITING} FROM live_events WHERE integration = ? AND seq > ? "
            "ORDER BY seq LIMIT ?",
            (self._integration, cursor, limit),
        ).fetchall()

    async def done(self, event: QueuedEvent) -> None:
        await self._deletes.submit(int(event.id))

    async def _delete_group(self, seqs: list[int]) -> list[None]:
        await self._run(self._delete, seqs)
        return [None] * len(seqs)

    def _delete(self, seqs: list[int]) -> None:
        with self._db:
            self._db.executemany("DELETE FROM live_events WHERE seq = ?", [(s,) for s in seqs])

    async def bury(self, event: QueuedEvent, error: str) -> None:
        await self._run(self._bury, int(event.id), event.attempts, error)

    def _bury(self, seq: int, attempts: int, error: str) -> None:
        with self._db:
            self._db.execute(
                "INSERT INTO live_events_dead(integration, path, key, payload, headers, "
                "received_at, attempts, error, died_at) SELECT integration, path, key, payload, "
                "headers, received_at, ?, ?, ? FROM live_events WHERE seq = ?",
                (attempts, error, time.time(), seq),
            )
            self._db.execute("DELETE FROM live_events WHERE seq = ?", (seq,))

    async def dead(self) -> list[QueuedEvent]:
        rows = await self._run(
            lambda: self._db.execute(
                f"SELECT {_DEAD} FROM live_events_dead WHERE integration = ? ORDER BY seq",
                (self._integration,),
            ).fetchall()
        )
        return [_event(row) for row in rows]

    async def revive(self, ids: list[str] | None = None) -> int:
        revived = await self._run(self._revive, ids)
        self._arrived.set()
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
        await self._run(self._db.close)
        self._thread.stop()


def _connect(path: Path) -> sqlite3.Connection:
    path.parent.mkdir(parents=True, exist_ok=True)
    db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    db.execute("PRAGMA busy_timeout=30000")
    db.isolation_level = "DEFERRED"
    db.executescript(_SCHEMA)
    return db
