"""The live-event queue file's writes: each group of puts and dones in one transaction, made
on the event loop itself.

A group's transaction takes about 0.1 ms for ten events (no sync to disk: the file is in
WAL mode with ``synchronous=NORMAL``), while a trip to the queue's thread and back waits for
the thread to get the interpreter and for the busy loop to read the answer: 5 ms a group
on 2 busy cores, which capped the routes at about 3,700 events a second (each answer waits
for its group's commit). So the loop writes through a connection of its own that never
waits for the file's lock: when another connection holds it (an acceptor's puts, ``ocean
events retry``, the queue's own burials), the group is written on the queue's thread
instead, which waits for the lock as long as the queue's other calls do. The writing
connection does not checkpoint at commit (a checkpoint syncs the file to disk, milliseconds
on the loop): after every :data:`CHECKPOINT_ROWS` rows written, a group is written on the
queue's thread and the file checkpointed after it, before the next group (a checkpoint
beside the writes would never catch up with them, and the log would grow for good); past
:data:`LOG_PAGES_MAX` pages (other processes wrote between), the checkpoint waits for the
other writers and truncates the log.
"""

from __future__ import annotations

import logging
import sqlite3
from pathlib import Path
from typing import Any

from ocean.errors import StoreError
from ocean.store.sqlite.thread import SQLiteThread

_log = logging.getLogger(__name__)

BUSY_TIMEOUT_MS = 30_000
"""How long a write on the queue's thread waits for the file's lock."""
INLINE_BYTES = 1 << 20
"""A group whose payloads are larger is written on the queue's thread (a megabyte takes about
a millisecond to write; the loop serves every request meanwhile)."""
CHECKPOINT_ROWS = 2_000
"""Rows inserted or deleted between two checkpoints of the file (at most one at a time)."""
LOG_PAGES_MAX = 8_192
"""Pages (32 MiB) past which a checkpoint waits for the other writers and truncates the log."""
_INSERT = (
    "INSERT INTO live_events(integration, path, key, payload, headers, received_at) "
    "VALUES (?, ?, ?, ?, ?, ?)"
)
_LOCKED = {sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED}


class QueueWrites:
    """Open with :meth:`open`, beside the queue's own connection (which made the schema)."""

    def __init__(self, db: sqlite3.Connection, thread: SQLiteThread) -> None:
        self._db, self._thread = db, thread
        self._written = 0

    @classmethod
    async def open(cls, path: Path, thread: SQLiteThread) -> QueueWrites:
        return cls(await thread.run(_connect, path), thread)

    async def write(self, done: list[tuple[int]], rows: list[tuple[Any, ...]]) -> int:
        """Deletes the ``done`` rows and inserts ``rows``, in one transaction; the last
        inserted row's ``seq`` (0 when none was). One call at a time."""
        self._written += len(done) + len(rows)
        if self._written >= CHECKPOINT_ROWS:  # no write meanwhile: the log starts over
            self._written = 0
            return await self._thread.run(_write_waiting, self._db, done, rows, checkpoint=True)
        if sum(len(row[3]) for row in rows) > INLINE_BYTES:  # too long for the loop
            return await self._thread.run(_write_waiting, self._db, done, rows)
        try:
            return _write(self._db, done, rows)
        except sqlite3.Error as error:
            if (getattr(error, "sqlite_errorcode", None) or 0) & 0xFF not in _LOCKED:
                raise StoreError(f"the live-event queue failed: {error}") from error
        return await self._thread.run(_write_waiting, self._db, done, rows)

    async def close(self) -> None:
        await self._thread.run(self._db.close)


def _connect(path: Path) -> sqlite3.Connection:
    db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
    db.execute("PRAGMA synchronous=NORMAL")
    db.execute("PRAGMA busy_timeout=0")  # on the loop: never wait for the lock
    db.execute("PRAGMA wal_autocheckpoint=0")  # on the thread instead
    db.execute(f"PRAGMA journal_size_limit={LOG_PAGES_MAX * 4096}")  # kept after a restart
    return db


def _write(db: sqlite3.Connection, done: list[tuple[int]], rows: list[tuple[Any, ...]]) -> int:
    db.execute("BEGIN IMMEDIATE")  # the lock first: a busy file fails here, before any work
    try:
        if done:
            db.executemany("DELETE FROM live_events WHERE seq = ?", done)
        if rows:
            db.executemany(_INSERT, rows)  # seqs in a row: the write lock is held
        last = int(db.execute("SELECT last_insert_rowid()").fetchone()[0]) if rows else 0
        db.execute("COMMIT")
    except BaseException:
        if db.in_transaction:
            db.execute("ROLLBACK")
        raise
    return last


def _checkpoint(db: sqlite3.Connection) -> None:
    """A passive checkpoint; when the log is past :data:`LOG_PAGES_MAX` even so (other
    processes, acceptors, write between one process's checkpoints, so it seldom starts
    over), one that waits for them and truncates it."""
    (_, log, _) = db.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
    if log > LOG_PAGES_MAX:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()


def _write_waiting(
    db: sqlite3.Connection,
    done: list[tuple[int]],
    rows: list[tuple[Any, ...]],
    *,
    checkpoint: bool = False,
) -> int:
    """:func:`_write`, waiting for the lock, then the checkpoint if asked (on the queue's
    thread)."""
    db.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    try:
        last = _write(db, done, rows)
        if checkpoint:
            try:
                _checkpoint(db)
            except sqlite3.Error as error:  # the write stands; the next one tries again
                _log.debug("the live-event queue's checkpoint failed: %s", error)
        return last
    finally:
        db.execute("PRAGMA busy_timeout=0")
