"""What a resync produced, kept in the catalog instead of in the resync's memory.

A catalog that implements :class:`RecordsProduced` (SQLite, PostgreSQL) keeps, per run,
the keys the resync found unchanged in a table of its own (what it wrote is newer than its
start: no need to mark it, so a first sync marks nothing; PostgreSQL marks a page skipped as
unchanged rather than its keys, see :func:`~ocean.store.page_records.claimed_run`); the stale
candidates are then a query (owned, untouched since the start, not produced by the run)
read in pages, and the deletion planner asks only about the few keys it examines. The rows
of a run are dropped when the resync ends, with those a killed run of the same integration
left (a run's id starts with its owner key: one resync at a time holds the integration's
lease).
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from ocean.store.base import Owner
from ocean.types import EntityKey


def run_prefix(owner_key: str) -> str:
    """What the ids of an owner's runs start with (each run's is this and a unique part)."""
    return f"{owner_key}#"


@runtime_checkable
class RecordsProduced(Protocol):
    async def mark_produced(self, run: str, keys: list[EntityKey]) -> None:
        """Record ``keys`` as produced by ``run`` (a key recorded twice counts once). What
        the run wrote needs no mark: its ``updated_at`` is after the run's start."""
        ...

    async def produced_among(self, owner: Owner, run: str, keys: list[EntityKey]) -> set[EntityKey]:
        """Which of ``keys`` ``run`` (of ``owner``) produced."""
        ...

    async def produced_counts(self, owner: Owner, run: str, *, since: str) -> dict[str, int]:
        """Per blueprint, how many distinct keys ``run`` marked or ``owner`` owns written
        after ``since`` (the run's start)."""
        ...

    async def unproduced_owned_page(
        self, owner: Owner, run: str, *, before: str, after: EntityKey | None, limit: int
    ) -> tuple[list[EntityKey], EntityKey | None]:
        """One page, in key order, of the keys ``owner`` owns, not updated after ``before``
        and not produced by ``run``; and the cursor of the next page (None at the end)."""
        ...

    async def owns_any(self, owner: Owner) -> bool:
        """Whether ``owner`` owns any entity (one key seek)."""
        ...

    async def forget_produced(self, prefix: str) -> None:
        """Drop the rows of every run whose id starts with ``prefix``."""
        ...
