"""A PostgreSQL catalog's owners by number (migration 22), as the embedded catalog's: an
ownership row holds the owner's number, and ``owners`` its key and latest datasource."""

from __future__ import annotations

from dataclasses import dataclass, field

import asyncpg

from ocean.store.base import Owner

NUMBER = "(SELECT id FROM owners WHERE key = $1)"
"""The number of the owner whose key is the first parameter (none: it never wrote)."""
DATASOURCES = (
    ", (SELECT coalesce(json_agg(w.datasource ORDER BY w.id), '[]')::text FROM ownership o "
    "JOIN owners w ON w.id = o.owner "
    "WHERE o.blueprint = e.blueprint AND o.identifier = e.identifier)"
)
"""The datasources of entity ``e``, as a JSON array's text (a search's and a browse's), by
owner number (as the embedded catalog lists them): the order the owners first wrote, or,
for those a migration numbered, their keys' order."""
_NUMBERED = (
    "INSERT INTO owners(key, datasource) VALUES ($1, $2) "
    "ON CONFLICT (key) DO UPDATE SET datasource = excluded.datasource RETURNING id"
)


@dataclass
class OwnerNumbers:
    """The numbers of the owners a store wrote for, by key and datasource: each is made (or
    its datasource brought up to date) by its first write through the store."""

    known: dict[tuple[str, str], int] = field(default_factory=dict)

    async def of(self, pool: asyncpg.Pool, owner: Owner) -> int:
        named = (owner.key, owner.datasource)
        number = self.known.get(named)
        if number is None:
            number = self.known[named] = int(await pool.fetchval(_NUMBERED, *named))
        return number
