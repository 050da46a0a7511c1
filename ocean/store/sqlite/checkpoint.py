"""Copying the embedded catalog's write-ahead log back into its file, beside the writer.

In WAL mode every commit appends pages to the log, and now and then the committing
connection stops to copy the log into the database file and sync it (a checkpoint: a
tenth of a second in a 50k-entity first sync, and again when the catalog closes). A
:class:`Checkpointer` does that on a thread and connection of its own after each bulk
write, as a *passive* checkpoint, which never waits for nor blocks the writer, so the
store's thread goes on writing. The writer's own automatic checkpoint stays for the rest.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from pathlib import Path

_log = logging.getLogger(__name__)


class Checkpointer:
    """Start with :meth:`start`, call :meth:`kick` after a bulk commit, :meth:`stop` before
    the writer closes."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._wanted = threading.Event()
        self._stopping = False
        self._thread = threading.Thread(
            target=self._loop, name="ocean-sqlite-checkpoint", daemon=True
        )

    def start(self) -> None:
        self._thread.start()

    def kick(self) -> None:
        """There are new pages in the log (a commit happened)."""
        self._wanted.set()

    def stop(self) -> None:
        self._stopping = True
        self._wanted.set()
        self._thread.join()

    def _loop(self) -> None:
        try:
            db = sqlite3.connect(self._path, isolation_level=None, check_same_thread=False)
        except sqlite3.Error as error:  # the writer checkpoints as it always could
            _log.debug("no checkpoint thread for %s: %s", self._path, error)
            return
        try:
            while True:
                self._wanted.wait()
                self._wanted.clear()
                if self._stopping:
                    return
                self._checkpoint(db)
        finally:
            db.close()

    def _checkpoint(self, db: sqlite3.Connection) -> None:
        try:
            db.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
        except sqlite3.Error as error:  # the next commit tries again; the writer's backstop holds
            _log.debug("checkpoint of %s failed: %s", self._path, error)
