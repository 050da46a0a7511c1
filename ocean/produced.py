"""The keys one resync produced, for stale deletion: recorded in the catalog page by page
where it can keep them (:class:`~ocean.store.produced.RecordsProduced`), so that a
resync's memory does not grow with the entities it syncs; in a set otherwise."""

from __future__ import annotations

import json
import uuid
from collections import Counter
from collections.abc import Iterable
from typing import Any

from ocean.errors import StoreError
from ocean.store.base import Owner, Store, WriteOutcome
from ocean.store.produced import RecordsProduced, run_prefix
from ocean.types import EntityKey

FLUSH_AT = 5000
"""Keys buffered before they are sent to the catalog."""
_PAGE = 5000
"""Stale candidates read per question."""
_WRITTEN = frozenset({"created", "updated"})
_SENTINEL: EntityKey = ("", "")
"""Marked first, checked last: a catalog that lost the run's marks (PostgreSQL keeps them
in an UNLOGGED table, emptied when the server recovers from a crash) lost it too."""


def _key(identifier: object) -> str:
    return identifier if isinstance(identifier, str) else json.dumps(identifier, sort_keys=True)


class Produced:
    """What this resync produced (written, or found unchanged)."""

    def __init__(self, store: Store, owner: Owner) -> None:
        self.catalog = store if isinstance(store, RecordsProduced) else None
        self.owner = owner
        self._prefix = run_prefix(owner.key)
        self.run = f"{self._prefix}{uuid.uuid4().hex}"
        self.memory: set[EntityKey] = set()
        self._pending: list[EntityKey] = []
        self._marked = False
        self._owned_nothing = False
        """The owner owned nothing when the run started: nothing can be stale."""
        self._sentinel = False
        """The catalog holds this run's sentinel mark (:meth:`still_recorded`)."""

    def mapped(self, keys: Iterable[tuple[Any, Any]]) -> None:
        """Keys mapped for writing (blueprint, identifier): kept in memory (the blueprint
        as text, an identifier that is not a string as its JSON); with a catalog, their
        write's outcomes tell (:meth:`written`)."""
        if self.catalog is None:
            self.memory.update((str(blueprint), _key(identifier)) for blueprint, identifier in keys)

    def written(self, outcomes: list[WriteOutcome]) -> None:
        """With a catalog, mark what a write left as it was (unchanged, or failed): what it
        wrote has an ``updated_at`` after the resync's start, which keeps it anyway.
        Without one, keep the keys the API answered (a search identifier's entity is known
        by the identifier it found only: left unchanged, it would look stale)."""
        if self.catalog is None:
            self.memory.update((str(o.blueprint), _key(o.identifier)) for o in outcomes if o.ok)
        else:
            self._pending.extend(
                (o.blueprint, o.identifier if type(o.identifier) is str else _key(o.identifier))
                for o in outcomes
                if o.status not in _WRITTEN
            )

    def marked_in_catalog(self) -> None:
        """The catalog marks what the run produced itself (pages skipped as unchanged,
        :class:`~ocean.store.page_records.ClaimsPages`: their keys, or the pages): drop
        the marks at the end."""
        self._marked = True

    def update(self, keys: list[EntityKey]) -> None:
        """Keys found unchanged without a write (pages skipped as unchanged)."""
        if self.catalog is None:
            self.memory.update(keys)
        else:
            self._pending.extend(keys)

    async def flush(self, at_least: int | None = None) -> None:
        """Send the buffered keys to the catalog once there are ``at_least`` of them
        (:data:`FLUSH_AT` by default)."""
        wanted = FLUSH_AT if at_least is None else at_least
        if self.catalog is None or not self._pending or len(self._pending) < wanted:
            return
        keys, self._pending = self._pending, []
        self._marked = True
        await self.catalog.mark_produced(self.run, keys)

    async def among(self, keys: list[EntityKey]) -> set[EntityKey]:
        """Which of ``keys`` this resync produced."""
        if self.catalog is None:
            return {key for key in keys if key in self.memory}
        await self.flush(1)
        return await self.catalog.produced_among(self.owner, self.run, keys) if keys else set()

    async def counts(self, since: str) -> dict[str, int]:
        """How many keys this resync produced, per blueprint (with a catalog: marked, or
        owned and written after ``since``, the resync's start)."""
        if self.catalog is None:
            return dict(Counter(blueprint for blueprint, _ in self.memory))
        await self.flush(1)
        counted = await self.catalog.produced_counts(self.owner, self.run, since=since)
        counted.pop(_SENTINEL[0], None)
        return counted

    async def started(self) -> None:
        """Drop what killed runs of the integration left, and ask, before the run writes,
        whether the owner owns anything. If not (a first sync), nothing can be stale at its
        end: an entity becomes owned only by a write, which makes it newer than the start;
        the stale query is then skipped."""
        if self.catalog is not None:
            await self.catalog.forget_produced(self._prefix)  # what killed runs left
            self._owned_nothing = not await self.catalog.owns_any(self.owner)
            if not self._owned_nothing:  # else nothing can be stale, and none is deleted
                await self.catalog.mark_produced(self.run, [_SENTINEL])
                self._marked = self._sentinel = True

    async def still_recorded(self) -> None:
        """Raise :class:`StoreError` if the catalog lost what this run marked since it
        started (a PostgreSQL server that restarted empties the marks): the keys found
        stale would then include what the run did produce, so none may be deleted."""
        if (
            self.catalog is not None
            and self._sentinel
            and not await self.catalog.produced_among(self.owner, self.run, [_SENTINEL])
        ):
            raise StoreError(
                "the catalog lost the keys this resync recorded as produced (did its "
                "server restart during the run?): nothing was deleted as stale; the next "
                "resync deletes what is"
            )

    async def stale(self, before: str) -> set[EntityKey] | None:
        """What the owner owns, untouched since ``before``, that this resync did not
        produce, read from the catalog in pages; None when the catalog does not keep them."""
        if self.catalog is None:
            return None
        if self._owned_nothing:
            return set()
        await self.flush(1)
        found: set[EntityKey] = set()
        after: EntityKey | None = None
        while True:
            keys, after = await self.catalog.unproduced_owned_page(
                self.owner, self.run, before=before, after=after, limit=_PAGE
            )
            found.update(keys)
            if after is None:
                return found

    async def forget(self) -> None:
        """Drop what the catalog recorded for this resync (what killed runs of the same
        integration left went when it started: a run that outlived its lease, stalled,
        must not drop the marks of the run that holds the lease now)."""
        self._pending = []
        if self.catalog is not None and self._marked:
            await self.catalog.forget_produced(self.run)
