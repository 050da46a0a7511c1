"""Whether the blueprint rules a PostgreSQL store checks writes with are still the
stored blueprints': another process (a replica, the catalog server) may have changed one
since they were read. A write asks under its blueprints' locks, which a blueprint's update
takes too, and reads the rules again if one changed; a deletion asks under the lock
blueprint changes take."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import asyncpg
import orjson

from ocean.store.entity_rules import EntityRules, rules_by_blueprint

BLUEPRINT_CHANGES = 7263002
"""The lock blueprint changes and deletions take first (a single key; migrations take
7263001)."""
BLUEPRINT_LOCKS = 7263003
"""The first key of each blueprint's lock, ``(7263003, hashtext(name))``: a space of its own,
so that no name's lock is also one of the single keys above (migration 19)."""


class ChangedRules(Exception):
    """A blueprint changed since its rules were read (by another process)."""


@dataclass
class KnownRules:
    """The blueprint rules a store read, and each blueprint's version then (migration 21)."""

    rules: dict[str, EntityRules] = field(default_factory=dict)
    stamps: dict[str, str] = field(default_factory=dict)

    async def read_from(self, db: asyncpg.Pool | asyncpg.Connection) -> None:
        """Read the stored blueprints' rules and versions."""
        rows = await db.fetch(f"{_BLUEPRINTS}, version FROM blueprints ORDER BY identifier")
        blueprints = _shaped(rows)
        self.rules = rules_by_blueprint(blueprints)
        self.stamps = {
            str(bp["identifier"]): str(row[3]) for bp, row in zip(blueprints, rows, strict=True)
        }

    def forget(self) -> None:
        """Read them again on the next write (this store changed a blueprint)."""
        self.rules, self.stamps = {}, {}


async def rules_current(db: asyncpg.Connection, stamps: dict[str, str]) -> bool:
    """Whether every stored blueprint is as it was when ``stamps`` were read (one made since
    is a change; one deleted since is not: its rules only widen a deletion's locks)."""
    rows = await db.fetch("SELECT identifier, version::text FROM blueprints")
    return all(stamps.get(identifier) == stamp for identifier, stamp in rows)


async def lock_blueprint_changes(db: asyncpg.Connection) -> None:
    """Keep blueprints from changing, and deletions from running, until the transaction ends."""
    await db.execute(f"SELECT pg_advisory_xact_lock({BLUEPRINT_CHANGES})")


async def lock_blueprints(
    db: asyncpg.Connection, names: Iterable[str], *, shared: bool = False
) -> None:
    """Take the blueprints' locks for a write, in one round trip and in the order of their
    keys, each key once: writers that take them in one order cannot deadlock, and two names
    may share a key (``hashtext`` collides about once in 4 billion pairs), which in name
    order could be taken in opposite orders. The write then checks that their rules are
    still those it read (see :mod:`.batch`). ``shared``: for writes that only copy new
    rows in (they may run beside each other, and exclude every other writer)."""
    function = "pg_advisory_xact_lock_shared" if shared else "pg_advisory_xact_lock"
    await db.execute(
        f"SELECT {function}({BLUEPRINT_LOCKS}, h) FROM "
        "(SELECT DISTINCT hashtext(b) AS h FROM unnest($1::text[]) AS t(b)) AS k ORDER BY h",
        sorted(set(names)),
    )


def relating_to(
    rules: Mapping[str, EntityRules], names: Iterable[str], *, through_others: bool = True
) -> set[str]:
    """``names`` and every blueprint whose relations lead to one of them, directly or (with
    ``through_others``) through others: those whose writes can add an edge into a
    deletion's entities, or whose entities a deletion of dependents can reach."""
    found = set(names)
    while more := {name for name, rule in rules.items() if rule.targets & found} - found:
        found |= more
        if not through_others:
            break
    return found


_BLUEPRINTS = "SELECT body, created_at, updated_at"


async def stored_blueprints(db: asyncpg.Pool | asyncpg.Connection) -> list[dict[str, Any]]:
    """Every blueprint as the catalog's API gives it (``createdAt``, ``updatedAt``)."""
    return _shaped(await db.fetch(f"{_BLUEPRINTS} FROM blueprints ORDER BY identifier"))


def _shaped(rows: list[asyncpg.Record]) -> list[dict[str, Any]]:
    return [{**orjson.loads(row[0]), "createdAt": row[1], "updatedAt": row[2]} for row in rows]
