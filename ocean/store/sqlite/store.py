"""The embedded catalog: one SQLite file in WAL mode, driven from one dedicated thread or,
for a resync (``ocean sail``), from a child process of its own.

Entities are one row each (Port's fields as one JSON body) plus one ``ownership`` row per
writer, keyed by the writer's number, so that the ownership scan of stale deletion is an
index range read. A writer (``owners``) is its key and the datasource of its latest version
($datasource in searches; PostgreSQL's catalog keeps them the same way). Every
operation runs whole on the catalog's thread or process, one at a time, so write
transactions never interleave and the event loop is free while SQLite works. A write is
checked and rendered on the caller's side (:meth:`SQLiteStore.prepare_writes`, pure
Python): in a child process that leaves the catalog only SQL and bookkeeping, beside the
mapping instead of taking turns with it on the interpreter's lock.
"""

from __future__ import annotations

import functools
from collections.abc import AsyncIterator, Callable, Mapping
from pathlib import Path
from typing import Any

from ocean.store.audit import AuditEntry, AuditFilter
from ocean.store.base import (
    DeleteResult,
    Dependents,
    Owner,
    PageRecord,
    RunRecord,
    WriteOutcome,
    now_iso,
)
from ocean.store.blocked import Causes
from ocean.store.credentials import ADMIN, Credential
from ocean.store.entity_rules import EntityRules, rules_by_blueprint
from ocean.store.lease import Fence, Lease, LeaseHolder
from ocean.store.page_records import ClaimedPage, PageShelf
from ocean.store.prepared import MappedPage
from ocean.store.sqlite import audit, cursors, integrations, lease, pages, produced, runs
from ocean.store.sqlite import credentials as credential_rows
from ocean.store.sqlite.catalog import SQLiteCatalog
from ocean.store.sqlite.host import CatalogHost, CatalogThread
from ocean.store.sqlite.mapping import Part, blueprints_read, warm, write_parts
from ocean.store.sqlite.spawn import SpareCatalog
from ocean.store.validation import as_given
from ocean.store.writes import PreparedBatch, prepared_if_covered, rules_cover, write_options
from ocean.transform.mapper import MapSummary
from ocean.transform.mapping_spec import MappingSpec
from ocean.types import Entity, EntityKey

__all__ = ["SQLiteStore"]

_PAGE = 1000


class SQLiteStore:
    """The catalog in one SQLite file. Open with :meth:`open`, close with :meth:`close`."""

    def __init__(self, host: CatalogHost, path: Path) -> None:
        self._host, self.path = host, path
        self._call = host.call
        self._rules: dict[str, EntityRules] = {}
        """The blueprint rules writes are prepared against; replaced whole (never changed
        in place) when a blueprint is new to them or changed through this store."""
        self._rules_read: list[dict[str, Any]] | None = None
        """The blueprints they were made of (None: made of none)."""
        self._stamp: int | None = None
        """The catalog's count of blueprint changes they were read at (checked by each
        write, which prepares again what was prepared by older rules)."""
        self._changes = 0
        """Blueprint changes made through this store (rules read across one are dropped)."""

    @classmethod
    async def open(
        cls, path: Path, *, own_process: bool = False, spare: SpareCatalog | None = None
    ) -> SQLiteStore:
        """Open (creating and migrating if needed) the catalog file at ``path``, on a thread
        or (``own_process``: a resync's many writes) in a child process (``spare``, started
        ahead, or a new one), answering from a thread until the child is ready
        (:class:`~ocean.store.sqlite.handover.CatalogHandover`). A relative ``path`` is
        taken from the current folder now: the child, started ahead, may have started in
        another, and the integration's code may change it later."""
        path = path.absolute()
        if own_process:
            from ocean.store.sqlite.handover import CatalogHandover

            return cls(await CatalogHandover.start(path, spare), path)
        return cls(await CatalogThread.start(path), path)

    async def close(self) -> None:
        await self._host.stop()

    async def create_blueprints(self, blueprints: list[dict[str, Any]]) -> list[str]:
        self._forget_rules()
        return await self._call(SQLiteCatalog.create_blueprints, blueprints)

    async def now(self) -> str:
        """This machine's clock, which the catalog (a file here) stamps its writes with."""
        return now_iso()

    async def list_blueprints(self) -> list[dict[str, Any]]:
        """The blueprints; writes are prepared against them from now on (a resync reads
        them first, so that its first pages are prepared as they are mapped)."""
        changes = self._changes
        stamp, blueprints = await self._call(blueprints_read)
        if changes == self._changes and blueprints != self._rules_read:
            # (unchanged: what was prepared meanwhile stays current)
            self._rules, self._rules_read = rules_by_blueprint(blueprints), blueprints
        if changes == self._changes:
            self._stamp = stamp
        return blueprints

    def rules_held(self) -> Mapping[str, EntityRules]:
        """:class:`~ocean.store.base.HoldsRules`."""
        return self._rules

    def _forget_rules(self) -> None:
        """A blueprint changes: nothing is prepared until the rules are read again."""
        self._rules, self._rules_read, self._changes = {}, None, self._changes + 1
        self._stamp = None

    async def get_entities(self, blueprint: str, identifiers: list[str]) -> dict[str, Entity]:
        return await self._call(SQLiteCatalog.get_entities, blueprint, identifiers)

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

    async def create_entities(
        self,
        entities: list[Entity],
        *,
        owner: Owner,
        merge: bool = False,
        only_changed: bool = False,
        create_missing_related: bool = True,
    ) -> list[WriteOutcome]:
        """:class:`~ocean.store.base.CreatesOnly`: whether each exists is read in the write
        transaction (``BEGIN IMMEDIATE``: no other writer in between)."""
        options = write_options(merge, only_changed, create_missing_related) | {"create_only": True}
        outcomes, _ = await self._write(None, [(entities, None)], owner, options)
        return outcomes

    async def update_entities(
        self, entities: list[Entity], *, owner: Owner, merge: bool,
        create_missing_related: bool = True,
    ) -> list[WriteOutcome]:  # fmt: skip
        """:class:`~ocean.store.base.UpdatesOnly`, decided as :meth:`create_entities`."""
        options = write_options(merge, False, create_missing_related) | {"update_only": True}
        outcomes, _ = await self._write(None, [(entities, None)], owner, options)
        return outcomes

    def prepare_writes(self, entities: list[Entity]) -> PreparedBatch | None:
        """``entities`` prepared against the blueprint rules read so far, on the caller's
        thread (None when one of their blueprints has not been read)."""
        return prepared_if_covered(entities, self._rules, self._stamp)

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
        options = write_options(merge, only_changed, create_missing_related)
        outcomes, _ = await self._write(None, [(entities, prepared)], owner, options)
        return outcomes

    def maps_pages(self) -> bool:
        return self._host.where == "process"

    async def warm_pages(self, spec: MappingSpec) -> None:
        await self._call(warm, spec)

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
        options = write_options(merge, only_changed, create_missing_related)
        return await self._write(spec, pages, owner, options)

    async def _write(
        self,
        spec: MappingSpec | None,
        pages: list[MappedPage | bytes],
        owner: Owner,
        options: dict[str, bool],
    ) -> tuple[list[WriteOutcome], list[MapSummary]]:
        """Write pages in order: those prepared against the rules read last as they are,
        the others prepared by the catalog (nothing is awaited before the call is made, so
        that writes reach the catalog in the order they were made; it prepares again what
        was prepared by rules older than its own). The rules are read again after a write
        that needed them or found them older, for the pages prepared next."""
        rules = self._rules
        parts = [_part(page, rules) for page in pages]
        outcomes, summaries, stamp = await self._call(write_parts, spec, parts, owner, options)
        unprepared = [entity for part in parts if type(part) is list for entity in part]
        if stamp != self._stamp or (unprepared and not rules_cover(self._rules, unprepared)):
            await self.list_blueprints()
        return outcomes, summaries

    async def search(
        self,
        query: dict[str, Any],
        *,
        include: list[str] | None = None,
        exclude: list[str] | None = None,
    ) -> list[dict[str, Any]]:
        """Entities matching a Port search query, with ``include``/``exclude`` projections."""
        return await self._call(SQLiteCatalog.search, query, include, exclude)

    async def owned_keys(self, owner: Owner, *, before: str | None = None) -> set[EntityKey]:
        return await self._call(SQLiteCatalog.owned_keys, owner, before)

    async def owned_among(
        self, owner: Owner, keys: list[EntityKey], *, before: str | None = None
    ) -> set[EntityKey]:
        return await self._call(SQLiteCatalog.owned_among, owner, keys, before)

    async def mark_produced(self, run: str, keys: list[EntityKey]) -> None:
        await self._call(produced.mark, run, keys)

    async def produced_among(self, owner: Owner, run: str, keys: list[EntityKey]) -> set[EntityKey]:
        return await self._call(produced.among, run, keys)  # (a claim marks its keys)

    async def produced_counts(self, owner: Owner, run: str, *, since: str) -> dict[str, int]:
        return await self._call(produced.counts, owner.key, run, since)

    async def unproduced_owned_page(
        self, owner: Owner, run: str, *, before: str, after: EntityKey | None, limit: int
    ) -> tuple[list[EntityKey], EntityKey | None]:
        return await self._call(produced.unproduced_page, owner.key, run, before, after, limit)

    async def owns_any(self, owner: Owner) -> bool:
        return await self._call(produced.owns_any, owner.key)

    async def forget_produced(self, prefix: str) -> None:
        await self._call(produced.forget, prefix)

    async def owned_page(
        self,
        owner: Owner,
        *,
        before: str | None = None,
        after: EntityKey | None = None,
        limit: int = 5000,
    ) -> tuple[list[EntityKey], EntityKey | None]:
        """A page of the keys ``owner`` owns, and the cursor of the next page (None at the end)."""
        return await self._call(SQLiteCatalog.owned_page, owner, before, after, limit)

    async def dependents(self, keys: list[EntityKey], *, after: str) -> Dependents:
        return await self._call(SQLiteCatalog.dependents, keys, after)

    async def request_resync(self, integration: str) -> str:
        return await self._call(integrations.request_resync, integration)

    async def resync_requested_at(self, integration: str) -> str | None:
        return await self._call(integrations.resync_requested_at, integration)

    async def save_integration(self, identifier: str, record: dict[str, Any]) -> None:
        await self._call(integrations.save, identifier, record)

    async def get_integration(self, identifier: str) -> dict[str, Any] | None:
        return await self._call(integrations.get, identifier)

    async def update_integration(
        self, identifier: str, change: Callable[[dict[str, Any] | None], dict[str, Any] | None]
    ) -> dict[str, Any] | None:
        return await self._call(integrations.update, identifier, change)

    async def delete_integration(self, identifier: str) -> bool:
        return await self._call(integrations.delete, identifier)

    async def create_credentials(
        self, name: str, *, role: str = ADMIN, integration: str | None = None
    ) -> tuple[str, str]:
        return await self._call(credential_rows.create, name, role, integration)

    async def get_credential(self, client_id: str) -> Credential | None:
        return await self._call(credential_rows.get, client_id)

    async def list_credentials(self) -> list[Credential]:
        return await self._call(credential_rows.listed)

    async def revoke_credential(self, client_id: str) -> Credential:
        return await self._call(credential_rows.revoke, client_id)

    async def rotate_credential(self, client_id: str) -> str:
        return await self._call(credential_rows.rotate, client_id)

    async def datasources_of(self, keys: list[EntityKey]) -> dict[EntityKey, list[str]]:
        return await self._call(credential_rows.datasources_of, keys)

    async def update_blueprint(
        self, identifier: str, patch: dict[str, Any]
    ) -> dict[str, Any] | None:
        return await self.change_blueprint(identifier, functools.partial(as_given, patch))

    async def change_blueprint(
        self, identifier: str, change: Callable[[dict[str, Any]], dict[str, Any]]
    ) -> dict[str, Any] | None:
        self._forget_rules()
        return await self._call(SQLiteCatalog.change_blueprint, identifier, change)

    def remembers_pages(self) -> bool:
        return True

    async def recall_pages(self, owner: Owner, slot: str, fingerprint: str) -> list[PageRecord]:
        return await self._call(SQLiteCatalog.recall_pages, owner, slot, fingerprint)

    async def remember_pages(
        self, owner: Owner, slot: str, fingerprint: str, records: list[PageRecord]
    ) -> None:
        texts = pages.encoded_records(records)
        await self._call(SQLiteCatalog.remember_pages, owner, slot, fingerprint, texts)

    async def open_pages(self, shelf: PageShelf) -> bool:
        return await self._call(pages.holds, shelf)

    async def claim_pages(self, shelf: PageShelf, digests: list[bytes]) -> list[ClaimedPage]:
        return await self._call(pages.claim, shelf, digests)

    async def keep_pages(self, shelf: PageShelf, records: list[PageRecord]) -> None:
        await self._call(pages.keep, shelf, pages.encoded_records(records))

    async def settle_pages(self, shelf: PageShelf) -> None:
        await self._call(pages.settle, shelf)

    async def count_owned(self, owner: Owner) -> int:
        return await self._call(SQLiteCatalog.count_owned, owner)

    async def delete_entities(
        self,
        keys: list[EntityKey],
        *,
        delete_dependents: bool = True,
        fence: Fence | None = None,
        written_before: str | None = None,
        causes: Causes | None = None,
    ) -> DeleteResult:
        guard = None if fence is None else functools.partial(lease.fenced, fence)
        return await self._call(
            SQLiteCatalog.delete_entities, keys, delete_dependents, guard, written_before, causes
        )

    async def iter_entities(self, blueprint: str | None = None) -> AsyncIterator[Entity]:
        """Every entity (of one blueprint), in key order, read a page at a time."""
        after: EntityKey = ("", "")
        while True:
            page = await self._call(SQLiteCatalog.entity_page, blueprint, after, _PAGE)
            for entity in page:
                yield entity
            if len(page) < _PAGE:
                return
            after = (page[-1]["blueprint"], page[-1]["identifier"])

    async def count_entities(self) -> dict[str, int]:
        """Entity counts per blueprint."""
        return await self._call(SQLiteCatalog.count_entities)

    async def record_audit(self, entries: list[AuditEntry]) -> None:
        await self._call(audit.record, entries)

    async def audit_log(self, wanted: AuditFilter) -> list[AuditEntry]:
        return await self._call(audit.query, wanted)

    async def prune_audit(self, before: str, most: int) -> int:
        return await self._call(audit.prune, before, most)

    async def delete_blueprint(self, identifier: str) -> None:
        self._forget_rules()
        await self._call(audit.delete_blueprint, identifier)

    async def get_cursor(self, integration: str, kind: str, index: int) -> str | None:
        return await self._call(cursors.get, integration, kind, index)

    async def save_cursor(self, integration: str, kind: str, index: int, value: str) -> None:
        await self._call(cursors.save, integration, kind, index, value)

    async def acquire_lease(self, integration: str, holder: LeaseHolder, seconds: float) -> Lease:
        return await self._call(lease.acquire, integration, holder, seconds)

    async def renew_lease(self, integration: str, holder: LeaseHolder, seconds: float) -> bool:
        return await self._call(lease.renew, integration, holder, seconds)

    async def release_lease(
        self, integration: str, holder: LeaseHolder, *, completed: bool
    ) -> None:
        await self._call(lease.release, integration, holder, completed)

    async def record_run(self, run: RunRecord) -> int:
        return await self._call(runs.record, run)

    async def list_runs(self, limit: int = 20, integration: str | None = None) -> list[RunRecord]:
        return await self._call(runs.latest, limit, integration)

    async def last_completed_run(self, integration: str) -> RunRecord | None:
        return await self._call(runs.last_completed, integration)

    async def get_run(self, run_id: int) -> RunRecord | None:
        return await self._call(runs.get_run, run_id)

    async def run_integrations(self) -> list[str]:
        return await self._call(runs.run_integrations)


def _part(page: MappedPage | bytes, rules: dict[str, EntityRules]) -> Part:
    if isinstance(page, bytes):
        return page
    entities, prepared = page
    return prepared if prepared is not None and prepared.rules is rules else entities
