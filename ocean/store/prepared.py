"""Catalogs that take a resync's pages further than :class:`~ocean.store.base.Store` does:
writes prepared ahead on the caller's side, or raw pages mapped by the catalog's own process
(both the embedded catalog's)."""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from ocean.store.base import Owner, WriteOutcome
from ocean.store.writes import PreparedBatch
from ocean.transform.mapper import MapSummary
from ocean.transform.mapping_spec import MappingSpec
from ocean.types import Entity


@runtime_checkable
class PreparesWrites(Protocol):
    """A catalog whose writes can be prepared ahead, on the caller's thread (SQLite): a
    resync prepares each page as it maps it (keys checked, bodies rendered), while the
    store writes the previous batch; the transaction then compares, checks and writes."""

    def prepare_writes(self, entities: list[Entity]) -> PreparedBatch | None:
        """The entities checked, shaped and rendered (pure); None when the catalog cannot
        yet (a blueprint it has not read): the write then prepares them itself."""
        ...

    async def upsert_prepared(
        self,
        entities: list[Entity],
        prepared: PreparedBatch | None,
        *,
        owner: Owner,
        merge: bool,
        only_changed: bool = False,
        create_missing_related: bool = True,
    ) -> list[WriteOutcome]:
        """:meth:`Store.upsert_entities` with ``entities`` prepared ahead (or None)."""
        ...


@runtime_checkable
class WritesInOrder(Protocol):
    """A catalog that makes writes in the order they were called, even while several are
    under way (PostgreSQL): a resync starts the next write before the last one ends, so
    that the catalog has it as soon as it committed the last, rather than after the resync
    has taken the outcomes (its mapping between)."""

    def writes_in_order(self) -> bool:
        """True (what a catalog that does not, has not)."""
        ...


MappedPage = tuple[list[Entity], PreparedBatch | None]
"""A page mapped by the resync: its entities and, if they were, prepared."""


@runtime_checkable
class MapsPages(Protocol):
    """A catalog that maps raw pages handed to it beside the resync's own mapping (the
    embedded catalog in its own process, see :mod:`ocean.store.sqlite.mapping`)."""

    def maps_pages(self) -> bool:
        """Whether handing pages over pays now (the catalog runs in its own process)."""
        ...

    async def warm_pages(self, spec: MappingSpec) -> None:
        """Have the catalog compile ``spec`` and read the blueprint rules now, while the
        resync waits for its first page, rather than in its first write. Never raises for
        the mapping (its first handed page does)."""
        ...

    async def upsert_pages(
        self,
        spec: MappingSpec,
        pages: list[MappedPage | bytes],
        *,
        owner: Owner,
        merge: bool,
        only_changed: bool = False,
        create_missing_related: bool = True,
    ) -> tuple[list[WriteOutcome], list[MapSummary]]:
        """Write the pages in order, mapping those handed over as JSON with ``spec``:
        each entity's outcome, and what mapping told about each handed page."""
        ...
