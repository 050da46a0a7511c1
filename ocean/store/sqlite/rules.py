"""The blueprint rules one connection to the embedded catalog checks writes by, and when
it read them: the catalog counts blueprint changes (a trigger per change, by any
connection, migration 18), so another process's change (the catalog server's, say) is
seen by the next write, which reads the count under its lock. What was prepared by rules
read at another count is prepared again (:func:`~ocean.store.writes.prepared_again`)."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from typing import Any

import orjson

from ocean.store.entity_rules import EntityRules, rules_by_blueprint

_COUNT = "SELECT n FROM blueprint_changes"


def stored_blueprints(db: sqlite3.Connection) -> list[dict[str, Any]]:
    rows = db.execute("SELECT body, created_at, updated_at FROM blueprints ORDER BY identifier")
    return [{**orjson.loads(body), "createdAt": c, "updatedAt": u} for body, c, u in rows]


def stamped_blueprints(db: sqlite3.Connection) -> tuple[int, list[dict[str, Any]]]:
    """The count of blueprint changes, then the blueprints: a change committed between
    makes them newer than the count says, which only has them read again."""
    (stamp,) = db.execute(_COUNT).fetchone()
    return int(stamp), stored_blueprints(db)


@dataclass
class CatalogRules:
    """The rules read last (replaced whole, never changed in place) and the count of
    blueprint changes they were read at (None: none read)."""

    rules: dict[str, EntityRules] = field(default_factory=dict)
    stamp: int | None = None

    def read(self, db: sqlite3.Connection) -> dict[str, EntityRules]:
        self.stamp, blueprints = stamped_blueprints(db)
        self.rules = rules_by_blueprint(blueprints)
        return self.rules

    def covering(self, db: sqlite3.Connection, wanted: set[str]) -> dict[str, EntityRules]:
        """The rules, read again if none were or one of ``wanted`` is new to them."""
        if self.stamp is None or not wanted <= self.rules.keys():
            return self.read(db)
        return self.rules

    def current(self, db: sqlite3.Connection) -> dict[str, EntityRules]:
        """The rules as committed now, read again if a blueprint changed since; inside a
        write transaction they hold until it ends."""
        (stamp,) = db.execute(_COUNT).fetchone()
        return self.rules if stamp == self.stamp else self.read(db)

    def forget(self) -> None:
        """This connection changes a blueprint: read them again when next needed."""
        self.rules, self.stamp = {}, None
