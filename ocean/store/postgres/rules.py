"""Whether the blueprint rules a PostgreSQL store checks writes with are still the
stored blueprints': another process (a replica, the catalog server) may have changed one
since they were read. A write asks under its blueprints' locks, which a blueprint's update
takes too, and reads the rules again if one changed; a deletion asks under the lock
blueprint changes take."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import asyncpg

from ocean.store.entity_rules import EntityRules, rules_by_blueprint


class ChangedRules(Exception):
    """A blueprint changed since its rules were read (by another process)."""


@dataclass
class KnownRules:
    """The blueprint rules a store read, and each blueprint's ``updatedAt`` then."""

    rules: dict[str, EntityRules] = field(default_factory=dict)
    stamps: dict[str, str] = field(default_factory=dict)

    def read(self, blueprints: list[dict[str, Any]]) -> None:
        """Take the rules of ``blueprints`` (as ``list_blueprints`` gives them)."""
        self.rules = rules_by_blueprint(blueprints)
        self.stamps = {str(bp["identifier"]): str(bp["updatedAt"]) for bp in blueprints}

    def forget(self) -> None:
        """Read them again on the next write (this store changed a blueprint)."""
        self.rules, self.stamps = {}, {}


async def rules_current(db: asyncpg.Connection, stamps: dict[str, str], names: list[str]) -> bool:
    """Whether the blueprints ``names`` are stored as they were when ``stamps`` were read."""
    rows = await db.fetch(
        "SELECT identifier, updated_at FROM blueprints WHERE identifier = ANY($1::text[])", names
    )
    return all(stamps.get(identifier) == stamp for identifier, stamp in rows)


async def lock_blueprints(db: asyncpg.Connection, names: list[str]) -> None:
    """Take the blueprints' locks for a write (in name order, one round trip); the write
    then checks that their rules are still those it read (see :mod:`.batch`)."""
    await db.execute(
        "SELECT pg_advisory_xact_lock(hashtext(b)) FROM unnest($1::text[]) "
        "WITH ORDINALITY AS t(b, n) ORDER BY n",
        names,
    )
