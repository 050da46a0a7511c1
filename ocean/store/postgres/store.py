"""The catalog on PostgreSQL (asyncpg): the same model and semantics as the SQLite catalog.

Writers to one blueprint are serialised with a transaction-scoped advisory lock, so a
merge reads and writes the stored body without another writer slipping in between
(writes of new rows only share it: :mod:`.batch`). A deletion takes the locks of every
blueprint relating to what it deletes (:func:`.relations.delete_entities`), so no write
adds a dependent it does not see.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import AsyncIterator, Callable, Mapping
from typing import Any

import asyncpg

from ocean.errors import StoreError
from ocean.masked_url import without_password
from ocean.store.audit import AuditEntry, AuditFilter
from ocean.store.base import DeleteResult, Dependents, Owner, PageRecord, RunRecord, WriteOutcome
from ocean.store.blocked import Causes
from ocean.store.credentials import ADMIN, Credential
from ocean.store.entity_rules import EntityRules
from ocean.store.lease import Fence, Lease, LeaseHolder
from ocean.store.page_records import ClaimedPage, PageShelf
from ocean.store.postgres import audit, integrations, lease, pages, produced, runs
from ocean.store.postgres import blueprints as blueprint_rows
from ocean.store.postgres import credentials as credential_rows
from ocean.store.postgres.batch import Batches
from ocean.store.postgres.clock import ServerClock
from ocean.store.postgres.connections import guarded, pooled, too_many_sessions
from ocean.store.postgres.owners import NUMBER, OwnerNumbers
from ocean.store.postgres.relations import columns, edges_into
from ocean.store.postgres.relations import delete_entities as delete_reaching
from ocean.store.postgres.rules import (
    KnownRules,
    lock_blueprint_changes,
    rules_current,
    stored_blueprints,
)
from ocean.store.postgres.schema import migrate
from ocean.store.postgres.search import search
from ocean.store.validation import as_given
from ocean.store.writes import (
    PreparedBatch,
    prepare,
    prepared_if_covered,
    rules_cover,
    shaped,
    write_options,
)
from ocean.types import Entity, EntityKey

_SELECT = "SELECT blueprint, identifier, body, created_at, updated_at FROM entities"
_PAGE = 1000


@guarded
class PostgresStore:
    """The catalog in a PostgreSQL database. Open with :meth:`open`."""

    def __init__(self, pool: asyncpg.Pool, url: str) -> None:
        self._pool, self.url = pool, url
        self._known = KnownRules()
        self._clock = ServerClock()
        """What writes and resyncs' starts are stamped with: the server's time."""
        self._batches = Batches(clock=self._clock)
        self._owners = OwnerNumbers()
        self._keeping = asyncio.Lock()
        """Page records kept one write after another, as the writes were made."""

    @classmethod
    async def open(cls, url: str) -> PostgresStore:
        """Connect (``postgresql://USER@HOST:PORT/DB[?schema=NAME]``) and migrate."""
        pool = None
        try:
            pool, schema = await pooled(url)
            async with pool.acquire() as connection:
                await migrate(connection, schema)
            store = cls(pool, url)
            await store._clock.read(pool)
        except BaseException as error:  # the pool closed whatever stopped the opening
            if pool is not None:
                await pool.close()
            if isinstance(error, OSError | asyncpg.PostgresError):
                shown = without_password(url)
                advice = (
                    f": {too_many_sessions()}"
                    if isinstance(error, asyncpg.TooManyConnectionsError)
                    else ""
                )
                raise StoreError(f"cannot open the catalog {shown}: {error}{advice}") from None
            raise
        return store

    async def failed_over(self) -> None:
        """The sessions expired, and what was read from the demoted server forgotten: a
        standby's data may lack the last commits the old primary acknowledged."""
        await self._pool.expire_connections()
        self._known.forget()
        self._batches.forget()
        self._owners.known.clear()

    async def close(self) -> None:
        await self._pool.close()

    async def create_blueprints(self, blueprints: list[dict[str, Any]]) -> list[str]:
        created = await blueprint_rows.create(self._pool, self._clock.now(), blueprints)
        self._known.forget()
        return created

    async def list_blueprints(self) -> list[dict[str, Any]]:
        return await stored_blueprints(self._pool)

    async def now(self) -> str:
        await self._read_clock()
        return self._clock.now()

    async def _read_clock(self) -> None:
        """Read the server's time again when due (:mod:`.clock`)."""
        if self._clock.due():
            await self._clock.read(self._pool)

    async def get_entities(self, blueprint: str, identifiers: list[str]) -> dict[str, Entity]:
        rows = await self._pool.fetch(
            f"{_SELECT} WHERE blueprint = $1 AND identifier = ANY($2)", blueprint, identifiers
        )
        return {row[1]: shaped(*row) for row in rows}

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
            entities, None, owner=owner, merge=merge, only_changed=only_changed,
            create_missing_related=create_missing_related,
        )  # fmt: skip

    async def create_entities(
        self, entities: list[Entity], *, owner: Owner, merge: bool = False,
        only_changed: bool = False, create_missing_related: bool = True,
    ) -> list[WriteOutcome]:  # fmt: skip
        """:class:`~ocean.store.base.CreatesOnly`: whether each exists is read under its
        blueprint's lock (taken exclusive: a write that asks), in the write's transaction."""
        options = write_options(merge, only_changed, create_missing_related) | {"create_only": True}
        return await self._write(entities, None, owner, options)

    async def update_entities(
        self, entities: list[Entity], *, owner: Owner, merge: bool,
        create_missing_related: bool = True,
    ) -> list[WriteOutcome]:  # fmt: skip
        """:class:`~ocean.store.base.UpdatesOnly`, decided as :meth:`create_entities`."""
        options = write_options(merge, False, create_missing_related) | {"update_only": True}
        return await self._write(entities, None, owner, options)

    def writes_in_order(self) -> bool:
        return True

    def prepare_writes(self, entities: list[Entity]) -> PreparedBatch | None:
        """``entities`` prepared against the blueprint rules read so far, while the previous
        batch is written (None when one of their blueprints has not been read)."""
        return prepared_if_covered(entities, self._known.rules)

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
        return await self._write(entities, prepared, owner, options)

    async def _write(
        self, entities: list[Entity], prepared: PreparedBatch | None, owner: Owner,
        options: dict[str, bool],
    ) -> list[WriteOutcome]:  # fmt: skip
        turn = self._batches.turn()  # taken as called: writes are made in call order
        try:
            await self._read_clock()
            if prepared is None or prepared.rules is not self._known.rules:  # none, or stale
                if not rules_cover(self._known.rules, entities):
                    await self._read_rules()
                prepared = prepare(entities, self._known.rules)
            number = await self._owners.of(self._pool, owner)
            return await self._batches.write_by_rules(
                self._pool, self._known, entities, prepared, options, number, turn
            )
        finally:
            turn.end()

    def rules_held(self) -> Mapping[str, EntityRules]:
        """:class:`~ocean.store.base.HoldsRules`."""
        return self._known.rules

    async def _read_rules(self, db: asyncpg.Connection | None = None) -> None:
        await self._known.read_from(db or self._pool)

    def remembers_pages(self) -> bool:
        return True

    async def recall_pages(self, owner: Owner, slot: str, fingerprint: str) -> list[PageRecord]:
        return await pages.recall(self._pool, owner, slot, fingerprint)

    async def remember_pages(
        self, owner: Owner, slot: str, fingerprint: str, records: list[PageRecord]
    ) -> None:
        await pages.remember(self._pool, owner, slot, fingerprint, records)

    async def open_pages(self, shelf: PageShelf) -> bool:
        return await pages.holds(self._pool, shelf)

    async def claim_pages(self, shelf: PageShelf, digests: list[bytes]) -> list[ClaimedPage]:
        return await pages.claim(self._pool, shelf, digests)

    async def keep_pages(self, shelf: PageShelf, records: list[PageRecord]) -> None:
        async with self._keeping:  # a page kept twice: the later write's record replaces
            await pages.keep(self._pool, shelf, records)

    async def settle_pages(self, shelf: PageShelf) -> None:
        await pages.settle(self._pool, shelf)

    async def search(
        self,
        query: dict[str, Any],
        *,
        include: list[str] | None = None,
        exclude: list[str] | None = None,
    ) -> list[dict[str, Any]]:
        definitions = {bp["identifier"]: bp for bp in await self.list_blueprints()}
        async with self._pool.acquire() as db:
            return await search(db, query, definitions, (include, exclude))

    async def owned_keys(self, owner: Owner, *, before: str | None = None) -> set[EntityKey]:
        rows = await self._pool.fetch(
            "SELECT o.blueprint, o.identifier FROM ownership o JOIN entities e "
            "ON e.blueprint = o.blueprint AND e.identifier = o.identifier "
            f"WHERE o.owner = {NUMBER} AND ($2::text IS NULL OR e.updated_at <= $2)",
            owner.key,
            before,
        )
        return {(bp, ident) for bp, ident in rows}

    async def owned_among(
        self, owner: Owner, keys: list[EntityKey], *, before: str | None = None
    ) -> set[EntityKey]:
        rows = await self._pool.fetch(
            "SELECT o.blueprint, o.identifier FROM unnest($3::text[], $4::text[]) AS k(bp, ident) "
            f"JOIN ownership o ON o.owner = {NUMBER} AND o.blueprint = k.bp "
            "AND o.identifier = k.ident "
            "JOIN entities e ON e.blueprint = o.blueprint AND e.identifier = o.identifier "
            "WHERE $2::text IS NULL OR e.updated_at <= $2",
            owner.key,
            before,
            *columns(keys),
        )
        return {(bp, ident) for bp, ident in rows}

    async def mark_produced(self, run: str, keys: list[EntityKey]) -> None:
        await produced.mark(self._pool, run, keys)

    async def produced_among(self, owner: Owner, run: str, keys: list[EntityKey]) -> set[EntityKey]:
        return await produced.among(self._pool, owner.key, run, keys)

    async def produced_counts(self, owner: Owner, run: str, *, since: str) -> dict[str, int]:
        return await produced.counts(self._pool, owner.key, run, since)

    async def unproduced_owned_page(
        self, owner: Owner, run: str, *, before: str, after: EntityKey | None, limit: int
    ) -> tuple[list[EntityKey], EntityKey | None]:
        return await produced.unproduced_page(self._pool, owner.key, run, before, after, limit)

    async def owns_any(self, owner: Owner) -> bool:
        query = f"SELECT EXISTS (SELECT 1 FROM ownership WHERE owner = {NUMBER})"
        return bool(await self._pool.fetchval(query, owner.key))

    async def forget_produced(self, prefix: str) -> None:
        await produced.forget(self._pool, prefix)

    async def owned_page(
        self,
        owner: Owner,
        *,
        before: str | None = None,
        after: EntityKey | None = None,
        limit: int = 5000,
    ) -> tuple[list[EntityKey], EntityKey | None]:
        return await produced.owned_page(self._pool, owner.key, before, after, limit)

    async def dependents(self, keys: list[EntityKey], *, after: str) -> Dependents:
        found = Dependents()
        async with self._pool.acquire() as db:
            for target, dependent, updated_at in await edges_into(db, set(keys)):
                found.of.setdefault(target, set()).add(dependent)
                if updated_at > after:
                    found.fresh.add(dependent)
        return found

    async def request_resync(self, integration: str) -> str:
        stamp = await self.now()
        await self._pool.execute(
            "INSERT INTO resync_requests(integration, requested_at) VALUES ($1, $2) "
            "ON CONFLICT(integration) DO UPDATE SET requested_at = excluded.requested_at",
            integration,
            stamp,
        )
        return stamp

    async def resync_requested_at(self, integration: str) -> str | None:
        value = await self._pool.fetchval(
            "SELECT requested_at FROM resync_requests WHERE integration = $1", integration
        )
        return None if value is None else str(value)

    async def save_integration(self, identifier: str, record: dict[str, Any]) -> None:
        await integrations.save(self._pool, identifier, record)

    async def get_integration(self, identifier: str) -> dict[str, Any] | None:
        return await integrations.get(self._pool, identifier)

    async def update_integration(
        self, identifier: str, change: Callable[[dict[str, Any] | None], dict[str, Any] | None]
    ) -> dict[str, Any] | None:
        return await integrations.update(self._pool, identifier, change)

    async def delete_integration(self, identifier: str) -> bool:
        return await integrations.delete(self._pool, identifier)

    async def create_credentials(
        self, name: str, *, role: str = ADMIN, integration: str | None = None
    ) -> tuple[str, str]:
        return await credential_rows.create(self._pool, name, role, integration)

    async def get_credential(self, client_id: str) -> Credential | None:
        return await credential_rows.get(self._pool, client_id)

    async def list_credentials(self) -> list[Credential]:
        return await credential_rows.listed(self._pool)

    async def revoke_credential(self, client_id: str) -> Credential:
        return await credential_rows.revoke(self._pool, client_id)

    async def rotate_credential(self, client_id: str) -> str:
        return await credential_rows.rotate(self._pool, client_id)

    async def datasources_of(self, keys: list[EntityKey]) -> dict[EntityKey, list[str]]:
        return await credential_rows.datasources_of(self._pool, keys)

    async def update_blueprint(
        self, identifier: str, patch: dict[str, Any]
    ) -> dict[str, Any] | None:
        return await self.change_blueprint(identifier, functools.partial(as_given, patch))

    async def change_blueprint(
        self, identifier: str, change: Callable[[dict[str, Any]], dict[str, Any]]
    ) -> dict[str, Any] | None:
        changed = await blueprint_rows.change(self._pool, self._clock.now, identifier, change)
        self._known.forget()
        return changed

    async def count_owned(self, owner: Owner) -> int:
        return int(
            await self._pool.fetchval(
                f"SELECT count(*) FROM ownership WHERE owner = {NUMBER}", owner.key
            )
        )

    async def delete_entities(
        self,
        keys: list[EntityKey],
        *,
        delete_dependents: bool = True,
        fence: Fence | None = None,
        written_before: str | None = None,
        causes: Causes | None = None,
    ) -> DeleteResult:
        async with self._pool.acquire() as db, db.transaction():
            await lock_blueprint_changes(db)  # and other deletions
            if not await rules_current(db, self._known.stamps):
                await self._read_rules(db)  # on this connection: the pool may be all
            result = await delete_reaching(
                db, keys, self._known.rules, delete_dependents, written_before, causes
            )
            if fence is not None:  # last: the lease's row is locked only until the commit
                await lease.fenced(db, fence)
        return result

    async def iter_entities(self, blueprint: str | None = None) -> AsyncIterator[Entity]:
        after: EntityKey = ("", "")
        while True:
            rows = await self._pool.fetch(
                f"{_SELECT} WHERE (blueprint, identifier) > ($1, $2) AND ($3::text IS NULL OR blueprint = $3) "
                f"ORDER BY blueprint, identifier LIMIT {_PAGE}",
                *after,
                blueprint,
            )
            for row in rows:
                yield shaped(*row)
            if len(rows) < _PAGE:
                return
            after = (rows[-1][0], rows[-1][1])

    async def count_entities(self) -> dict[str, int]:
        rows = await self._pool.fetch("SELECT blueprint, count(*) FROM entities GROUP BY blueprint")
        return {bp: int(count) for bp, count in rows}

    async def record_audit(self, entries: list[AuditEntry]) -> None:
        await audit.record(self._pool, entries)

    async def audit_log(self, wanted: AuditFilter) -> list[AuditEntry]:
        return await audit.query(self._pool, wanted)

    async def prune_audit(self, before: str, most: int) -> int:
        return await audit.prune(self._pool, before, most)

    async def delete_blueprint(self, identifier: str) -> None:
        await audit.delete_blueprint(self._pool, identifier)
        self._known.forget()

    async def get_cursor(self, integration: str, kind: str, index: int) -> str | None:
        value = await self._pool.fetchval(
            "SELECT value FROM cursors WHERE integration = $1 AND kind = $2 AND idx = $3",
            integration, kind, index,
        )  # fmt: skip
        return None if value is None else str(value)

    async def save_cursor(self, integration: str, kind: str, index: int, value: str) -> None:
        await self._pool.execute(
            "INSERT INTO cursors(integration, kind, idx, value, updated_at) "
            "VALUES ($1, $2, $3, $4, $5) ON CONFLICT(integration, kind, idx) "
            "DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
            integration, kind, index, value, self._clock.now(),
        )  # fmt: skip

    async def acquire_lease(self, integration: str, holder: LeaseHolder, seconds: float) -> Lease:
        return await lease.acquire(self._pool, integration, holder, seconds)

    async def renew_lease(self, integration: str, holder: LeaseHolder, seconds: float) -> bool:
        return await lease.renew(self._pool, integration, holder, seconds)

    async def release_lease(
        self, integration: str, holder: LeaseHolder, *, completed: bool
    ) -> None:
        await lease.release(self._pool, integration, holder, completed)

    async def record_run(self, run: RunRecord) -> int:
        return await runs.record(self._pool, run)

    async def list_runs(self, limit: int = 20, integration: str | None = None) -> list[RunRecord]:
        return await runs.listed(self._pool, limit, integration)

    async def last_completed_run(self, integration: str) -> RunRecord | None:
        return await runs.last_completed(self._pool, integration)

    async def get_run(self, run_id: int) -> RunRecord | None:
        return await runs.get(self._pool, run_id)

    async def run_integrations(self) -> list[str]:
        return await runs.integrations(self._pool)
