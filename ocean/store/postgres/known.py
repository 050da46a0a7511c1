"""Relation targets a PostgreSQL store knows exist, as the embedded catalog's
(:mod:`ocean.store.sqlite.known`): a 1,000-person page relates to a thousand teams, and
asking the server about each of them, page after page, was a tenth of its work in a first
sync (an index seek per target, and their arrays sent). A write asks only about the targets
it does not know, and the store learns what a write found or wrote once it committed.

They are all forgotten when an entity may have gone: every statement that deletes entities
counts itself in ``entity_deletions`` (a trigger, migration 16), in its transaction, so the
count a write reads is that of the snapshot it finds targets in. Another catalog's writes
only add entities; a deletion not yet committed when a target was found moves the count
when it commits, before the next write asks.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from ocean.store.entity_rules import EntityRules
from ocean.store.packed_strings import PackedStrings
from ocean.types import EntityKey

LIMIT = 262144
"""Keys kept at most (about 11 MB, packed): past it they are forgotten and learnt again.
Only keys of blueprints that relations point at are kept (a resync's persons would push
out the teams they relate to): a 1M-person first sync relates to 100k teams, and at 65,536 it
asked about each team again every few batches (38.9 µs per item against 33.9 at 57k)."""


SMALL = 1 << 15
"""Keys known in plain sets at most (about 4 MB), past which every blueprint's are packed:
the 17,440 teams of 174,400 persons, asked about 200k times, stay plain (the resync's CPU
0.964x against packed lookups); 1M persons' 100k teams are packed (about 8 MB less)."""


def targeted(rules: Mapping[str, EntityRules]) -> frozenset[str]:
    """The blueprints that the relations of ``rules`` point at."""
    return frozenset().union(*(rule.targets for rule in rules.values()))


@dataclass
class KnownTargets:
    """Keys that existed when ``deletions`` was the catalog's count of deleting statements."""

    by_blueprint: dict[str, PackedStrings] = field(default_factory=dict)
    """The identifiers known, per blueprint (:mod:`ocean.store.packed_strings`): plain
    sets while they hold :data:`SMALL` in all, packed past it
    (100k teams take about 3 MB, against 11 MB of RSS as a ``set`` of identifiers and 16 as
    one of (blueprint, identifier) pairs)."""
    count: int = 0
    deletions: int | None = None

    def unknown(self, targets: set[EntityKey]) -> set[EntityKey]:
        if not self.count:
            return targets
        asked: dict[str, list[str]] = {}
        for blueprint, identifier in targets:
            asked.setdefault(blueprint, []).append(identifier)
        known = self.by_blueprint
        return {
            (blueprint, identifier)
            for blueprint, identifiers in asked.items()
            for identifier in (
                known[blueprint].absent(identifiers) if blueprint in known else identifiers
            )
        }

    def still(self, deletions: int) -> bool:
        """Whether the keys known hold at this count (else they are forgotten)."""
        if deletions == self.deletions:
            return True
        self._forget(deletions)
        return False

    def learn(self, keys: set[EntityKey], deletions: int) -> None:
        """``keys`` exist at this count (found, or written by a committed transaction)."""
        if deletions != self.deletions:
            self._forget(deletions)
        if self.count + len(keys) > LIMIT:
            self._forget(deletions)
        if len(keys) > LIMIT:
            return
        known = self.by_blueprint
        for blueprint, identifier in keys:
            identifiers = known.get(blueprint)
            if identifiers is None:
                identifiers = known[blueprint] = PackedStrings()
            identifiers.add(identifier)
        self.count = sum(map(len, known.values()))
        if self.count > SMALL:  # the plain sets' bound holds for all blueprints together
            for identifiers in known.values():
                identifiers.pack()

    def _forget(self, deletions: int) -> None:
        self.by_blueprint, self.count, self.deletions = {}, 0, deletions
