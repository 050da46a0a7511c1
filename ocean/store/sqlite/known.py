"""Relation targets the embedded catalog's connection knows exist.

A write checks that its entities' relation targets exist (else it makes placeholders or
fails them): a 1,000-person page relates to a thousand teams, and asking SQLite about
each of them, page after page, cost a 50k-entity first sync a tenth of a second in the
catalog's process. :class:`KnownTargets` remembers the targets found or created, so a page
asks only about those it has not seen. They are all forgotten when an entity may have
gone: another connection committed (``PRAGMA data_version`` moved) or this one deleted an
entity (a temporary trigger counts its deletions, whatever statement made them).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

from ocean.types import EntityKey

LIMIT = 65536
"""Keys kept at most (a few MiB): past it they are forgotten and learnt again."""
_COUNTER = (
    "CREATE TEMP TABLE IF NOT EXISTS entity_deletions(n INTEGER NOT NULL)",
    "INSERT INTO entity_deletions SELECT 0 WHERE NOT EXISTS (SELECT 1 FROM entity_deletions)",
    "CREATE TEMP TRIGGER IF NOT EXISTS entity_deleted AFTER DELETE ON main.entities "
    "BEGIN UPDATE entity_deletions SET n = n + 1; END",
)
_STATE = "SELECT n, (SELECT data_version FROM pragma_data_version) FROM entity_deletions"


class KnownTargets:
    """Ask :meth:`missing` inside a write transaction; :meth:`learn` what it created once
    committed."""

    def __init__(self, db: sqlite3.Connection) -> None:
        for statement in _COUNTER:
            db.execute(statement)
        self._keys: set[EntityKey] = set()
        self._state: tuple[int, int] | None = None

    def missing(
        self,
        db: sqlite3.Connection,
        targets: set[EntityKey],
        existing: Callable[[set[EntityKey]], set[EntityKey]],
    ) -> set[EntityKey]:
        """The ``targets`` that do not exist, asking ``existing`` about the unknown ones."""
        state = db.execute(_STATE).fetchone()
        if state != self._state:  # an entity may have gone
            self._keys.clear()
            self._state = state
        unknown = targets - self._keys
        if not unknown:
            return set()
        found = existing(unknown)
        self.learn(found)  # they existed before this transaction: a rollback keeps them
        return unknown - found

    def learn(self, keys: set[EntityKey]) -> None:
        """``keys`` exist (found, or created by a committed transaction)."""
        if len(self._keys) + len(keys) > LIMIT:
            self._keys.clear()
        if len(keys) <= LIMIT:
            self._keys |= keys
