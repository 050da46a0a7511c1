"""The embedded catalog: one SQLite file in WAL mode, driven from one dedicated thread.

Entities are one row each (Port's fields as one JSON body) plus one ``ownership`` row per
writer, keyed by the writer's number, so that the ownership scan of stale deletion is an
index range read. A writer (``owners``) is its key and the datasource of its latest version
($datasource in searches; PostgreSQL keeps each entity's first writer version). Every
operation runs whole on the store's thread, one at a time, so write transactions never
interleave and the event loop is free while SQLite works.
"""

from __future__ import annotations

import functools
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from ocean.store.base import DeleteResult, Owner, PageRecord, RunRecord, WriteOutcome
from ocean.store.sqlite_catalog import SQLiteCatalog, now_iso
from ocean.store.sqlite_checkpoint import Checkpointer
from ocean.store.sqlite_thread import SQLiteThread
from ocean.store.writes import PreparedBatch
from ocean.types import Entity, EntityKey

__all__ = ["SQLiteStore", "now_iso"]

_PAGE = 1000


class SQLiteStore:
    """The catalog in one SQLite file. Open with :meth:`open`, close with :meth:`close`."""

    def __init__(
        self, catalog: SQLiteCatalog, thread: SQLiteThread, path: Path, checkpointer: Checkpointer
    ) -> None:
        self._catalog, self._thread, self.path = catalog, thread, path
        self._checkpointer = checkpointer
        self._run = thread.run

    @classmethod
    async def open(cls, path: Path) -> SQLiteStore:
        """Open (creating and migrating if needed) the catalog file at ``path``."""
        checkpointer = Checkpointer(path)
        thread, catalog = await SQLiteThread.start(
            f"the catalog {path}",
            functools.partial(SQLiteCatalog, path, after_bulk=checkpointer.kick),
        )
        checkpointer.start()
        return cls(catalog, thread, path, checkpointer)

    async def close(self) -> None:
        await self._run(self._checkpointer.stop)
        await self._run(self._catalog.close)
        self._thread.stop()

    async def create_blueprints(self, blueprints: list[dict[str, Any]]) -> list[str]:
        return await self._run(self._catalog.create_blueprints, blueprints)

    async def list_blueprints(self) -> list[dict[str, Any]]:
        return await self._run(self._catalog.list_blueprints)

    async def get_entities(self, blueprint: str, identifiers: list[str]) -> dict[str, Entity]:
        return await self._run(self._catalog.get_entities, blueprint, identifiers)

    async def upsert_entities(
        self,
        entities: list[Entity],
        *,
        owner: Owner,
        merge: bool,
        only_changed: bool = False,
        create_missing_related: bool = True,
    ) -> list[WriteOutcome]:
        return await self.upsert_prepared(
            entities,
            None,
            owner=owner,
            merge=merge,
            only_changed=only_changed,
            create_missing_related=create_missing_related,
        )

    def prepare_writes(self, entities: list[Entity]) -> PreparedBatch | None:
        return self._catalog.prepare(entities)  # pure Python: on the caller's thread

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
        options = {
            "merge": merge,
            "only_changed": only_changed,
            "create_missing_related": create_missing_related,
        }
        upsert = self._catalog.upsert_entities
        return await self._run(upsert, entities, owner, options, prepared)

    async def search(
        self,
        query: dict[str, Any],
        *,
        include: list[str] | None = None,
        exclude: list[str] | None = None,
    ) -> list[dict[str, Any]]:
        """Entities matching a Port search query, with ``include``/``exclude`` projections."""
        return await self._run(self._catalog.search, query, include, exclude)

    async def owned_keys(self, owner: Owner, *, before: str | None = None) -> set[EntityKey]:
        return await self._run(self._catalog.owned_keys, owner, before)

    async def owned_among(
        self, owner: Owner, keys: list[EntityKey], *, before: str | None = None
    ) -> set[EntityKey]:
        return await self._run(self._catalog.owned_among, owner, keys, before)

    async def owned_page(
        self,
        owner: Owner,
        *,
        before: str | None = None,
        after: EntityKey | None = None,
        limit: int = 5000,
    ) -> tuple[list[EntityKey], EntityKey | None]:
        """A page of the keys ``owner`` owns, and the cursor of the next page (None at the end)."""
        return await self._run(self._catalog.owned_page, owner, before, after, limit)

    async def referenced(self, keys: list[EntityKey]) -> set[EntityKey]:
        return await self._run(self._catalog.referenced, keys)

    async def request_resync(self, integration: str) -> str:
        return await self._run(self._catalog.request_resync, integration)

    async def resync_requested_at(self, integration: str) -> str | None:
        return await self._run(self._catalog.resync_requested_at, integration)

    async def save_integration(self, identifier: str, record: dict[str, Any]) -> None:
        await self._run(self._catalog.save_integration, identifier, record)

    async def get_integration(self, identifier: str) -> dict[str, Any] | None:
        return await self._run(self._catalog.get_integration, identifier)

    async def create_credentials(self, name: str) -> tuple[str, str]:
        return await self._run(self._catalog.create_credentials, name)

    async def check_credentials(self, client_id: str, secret: str) -> bool:
        return await self._run(self._catalog.check_credentials, client_id, secret)

    async def update_blueprint(
        self, identifier: str, patch: dict[str, Any]
    ) -> dict[str, Any] | None:
        return await self._run(self._catalog.update_blueprint, identifier, patch)

    def remembers_pages(self) -> bool:
        return True

    async def recall_pages(self, owner: Owner, slot: str, fingerprint: str) -> list[PageRecord]:
        return await self._run(self._catalog.recall_pages, owner, slot, fingerprint)

    async def remember_pages(
        self, owner: Owner, slot: str, fingerprint: str, records: list[PageRecord]
    ) -> None:
        await self._run(self._catalog.remember_pages, owner, slot, fingerprint, records)

    async def count_owned(self, owner: Owner) -> int:
        return await self._run(self._catalog.count_owned, owner)

    async def delete_entities(
        self, keys: list[EntityKey], *, delete_dependents: bool = True
    ) -> DeleteResult:
        return await self._run(self._catalog.delete_entities, keys, delete_dependents)

    async def iter_entities(self, blueprint: str | None = None) -> AsyncIterator[Entity]:
        """Every entity (of one blueprint), in key order, read a page at a time."""
        after: EntityKey = ("", "")
        while True:
            page = await self._run(self._catalog.entity_page, blueprint, after, _PAGE)
            for entity in page:
                yield entity
            if len(page) < _PAGE:
                return
            after = (page[-1]["blueprint"], page[-1]["identifier"])

    async def count_entities(self) -> dict[str, int]:
        """Entity counts per blueprint."""
        return await self._run(self._catalog.count_entities)

    async def record_run(self, run: RunRecord) -> int:
        return await self._run(self._catalog.record_run, run)

    async def list_runs(self, limit: int = 20) -> list[RunRecord]:
        return await self._run(self._catalog.list_runs, limit)
