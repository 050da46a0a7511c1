"""Relation targets the embedded catalog's connection knows exist.

A write checks that its entities' relation targets exist (else it makes placeholders or
fails them): a 1,000-person page relates to a thousand teams, and asking SQLite about
each of them, page after page, cost a 50k-entity first sync a tenth of a second in the
catalog's process. :class:`KnownTargets` remembers the targets found or created, so a page
asks only about those it has not seen. What another connection commits (``PRAGMA
data_version`` moves) and this connection's own transactions other than upserts (a delete)
forget them all: an upsert only ever adds entities.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

from ocean.types import EntityKey

LIMIT = 65536
"""Keys kept at most (a few MiB): past it they are forgotten and learnt again."""


class KnownTargets:
    """Use inside a write transaction: :meth:`missing` each batch, :meth:`learn` what it
    created once committed, :meth:`forget` for any other write."""

    def __init__(self) -> None:
        self._keys: set[EntityKey] = set()
        self._version: int | None = None

    def missing(
        self,
        db: sqlite3.Connection,
        targets: set[EntityKey],
        existing: Callable[[set[EntityKey]], set[EntityKey]],
    ) -> set[EntityKey]:
        """The ``targets`` that do not exist, asking ``existing`` about the unknown ones."""
        (version,) = db.execute("PRAGMA data_version").fetchone()
        if version != self._version:  # another connection committed: it may have deleted
            self._keys.clear()
            self._version = version
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

    def forget(self) -> None:
        self._keys.clear()
