"""The embedded catalog's SQL, run synchronously on the store's own thread.

Each public method is one complete operation (a whole write transaction at most), so the
async :class:`~ocean.store.sqlite.store.SQLiteStore` hands it to its thread in one hop and the
event loop keeps mapping the next batch meanwhile. Bulk statements take a whole batch as
one JSON array and loop in SQLite's C code: one step per batch instead of one per row, so
the GIL is not handed back and forth per row.
"""

from __future__ import annotations

import contextlib
import functools
import secrets
import sqlite3
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import orjson

from ocean.store.base import DeleteResult, Dependents, Owner, PageRecord, now_iso
from ocean.store.blocked import Causes, check_written_before, kept_in_use, spared, watched
from ocean.store.created import Row, created, new_rows
from ocean.store.entity_rules import EntityRules
from ocean.store.page_records import EncodedRecord
from ocean.store.plan import BatchPlan, plan_batch, same_edges
from ocean.store.sqlite import entity_rows, relations
from ocean.store.sqlite import pages as sqlite_pages
from ocean.store.sqlite.checkpoint import Checkpointer
from ocean.store.sqlite.entity_pages import SELECT as _SELECT
from ocean.store.sqlite.entity_pages import page_query
from ocean.store.sqlite.entity_rows import StoredAfterAll
from ocean.store.sqlite.known import KnownTargets
from ocean.store.sqlite.migrations import migrate, refuse_newer
from ocean.store.sqlite.removed_fields import strip_removed
from ocean.store.sqlite.rules import CatalogRules, stored_blueprints
from ocean.store.sqlite.search import search
from ocean.store.validation import checked_update, dangling_relations, new_blueprints
from ocean.store.writes import (
    PreparedBatch,
    WriteOutcomes,
    dumps,
    prepared_again,
    shaped,
    versioned,
)
from ocean.types import Entity, EntityKey

T = TypeVar("T")
_PRAGMAS = (
    "busy_timeout=30000",  # first: a new file's WAL switch and migration wait for each other
    # a new file's pages (an existing file keeps its own): 8 KiB pages made a 50k first
    # sync's writes a quarter faster than 4 KiB (fewer, shallower B-tree pages to split and
    # log), reads by key no slower, a one-entity update as fast
    "page_size=8192",
    "journal_mode=WAL",
    "synchronous=NORMAL",
    # 64 MiB of page cache, filled only as the file grows: at 16 MiB the key indexes of a
    # 1M-entity catalog (written at random places) no longer fit, and a 1.15M first sync
    # cost 31 µs per item against 21 µs at 57k; at 64 MiB it costs what a small one does,
    # and the resync's processes peak near 220 MB (see the README's Scale section)
    "cache_size=-65536",
    # temporary B-trees (a big DELETE's keys, sorts) on disk, not in memory: a rerun's
    # end dropping 1M marked keys held them all (+120 MB at 1M)
    "temp_store=FILE",
)
_WAL_CHECKPOINT_BYTES = 64 << 20
"""Log the writer lets grow before it checkpoints itself (set in pages, from the file's)."""
_BULK = 1000
"""Rows a transaction changes for the checkpoint thread to copy the log after it."""
_UNASKED_AFTER = 100
"""New rows a write must find none stored of for the next write of its blueprints not to
ask (a live event's new entity is no sign of a first sync)."""
_KEYS_IN = "(blueprint, identifier) IN (SELECT value->>0, value->>1 FROM json_each(?1))"
_NUMBER = "(SELECT id FROM owners WHERE key = ?1)"
"""The owner's number, from the owner key bound as ``?1``."""
OWNED_PAGE = (
    "SELECT o.blueprint, o.identifier FROM ownership o "
    "JOIN entities e ON e.blueprint = o.blueprint AND e.identifier = o.identifier "
    f"WHERE o.owner = {_NUMBER} AND (?2 IS NULL OR e.updated_at <= ?2) "
    "AND (o.blueprint, o.identifier) > (?3, ?4) ORDER BY o.blueprint, o.identifier LIMIT ?5"
)
DISOWN = f"DELETE FROM ownership WHERE owner IN (SELECT id FROM owners) AND {_KEYS_IN}"
"""Every owner's rows of the keys in ``?1``: one key seek per owner and key."""


def _casefold(value: str | bytes | int | float | None) -> str | bytes | int | float | None:
    """SQL ``casefold(x)``: text case-folded as Python does (``LIKE`` folds ASCII only)."""
    return value.casefold() if isinstance(value, str) else value


def _pragma(db: sqlite3.Connection, pragma: str) -> None:
    """Set ``pragma``, waiting out another process that holds the new file's lock: switching
    a new file to WAL does not wait on the busy timeout, it fails at once."""
    deadline = time.monotonic() + 30
    while True:
        try:
            db.execute(f"PRAGMA {pragma}")
            return
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) or time.monotonic() > deadline:
                raise
            time.sleep(0.005)


class SQLiteCatalog:
    """Synchronous operations on one SQLite connection (used from one thread only)."""

    def __init__(self, path: Path, *, after_bulk: Callable[[], None] | None = None) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._after_bulk = after_bulk
        """Told after a committed transaction that changed many rows (the checkpoint
        thread); small writes leave the log to SQLite's own occasional checkpoint."""
        self._db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self._db.create_function("casefold", 1, _casefold, deterministic=True)
        try:
            for pragma in _PRAGMAS:
                _pragma(self._db, pragma)
            (page,) = self._db.execute("PRAGMA page_size").fetchone()
            # the writer's own checkpoints: fewer, larger ones, after 64 MiB of log whatever
            # the file's page size (the checkpoint thread copies the log after bulk writes)
            _pragma(self._db, f"wal_autocheckpoint={_WAL_CHECKPOINT_BYTES // page}")
            migrate(self._db)
        except BaseException:
            self._db.close()
            raise
        self._rules = CatalogRules()
        self._checkpointer: Checkpointer | None = None
        self._owner_numbers: dict[tuple[str, str], int] = {}
        """Owner numbers by key and datasource, as written by this connection's committed
        writes."""
        self._known = KnownTargets(self._db)
        self._unasked: set[str] = set()
        """Blueprints whose last bulk write found none of its keys stored."""

    @classmethod
    def open(cls, path: Path) -> SQLiteCatalog:
        """The catalog at ``path`` with a checkpoint thread beside it (see :class:`Checkpointer`)."""
        checkpointer = Checkpointer(path)
        catalog = cls(path, after_bulk=checkpointer.kick)
        catalog._checkpointer = checkpointer
        checkpointer.start()
        return catalog

    def close(self) -> None:
        if self._checkpointer is not None:
            self._checkpointer.stop()
        self._db.close()

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[None]:
        """A write transaction; :class:`NewerSchemaError` if a newer Ocean migrated the
        catalog since this one opened it (a rolling upgrade: nothing is written by rules
        the newer schema may have changed)."""
        self._db.execute("BEGIN IMMEDIATE")
        changes = self._db.total_changes
        try:
            refuse_newer(self._db)
            yield
            self._db.execute("COMMIT")
        except BaseException:
            self._owner_numbers = {}  # a number made in this transaction is gone
            if self._db.in_transaction:  # (SQLite rolls back itself after some errors)
                with contextlib.suppress(sqlite3.Error):  # the first error is the one to tell
                    self._db.execute("ROLLBACK")
            raise
        if self._after_bulk is not None and self._db.total_changes - changes >= _BULK:
            self._after_bulk()

    def in_transaction(self, work: Callable[[sqlite3.Connection], T]) -> T:
        """``work`` done on the connection in one write transaction (for the modules that
        keep their SQL beside this one, such as :mod:`ocean.store.sqlite.lease`)."""
        with self._transaction():
            return work(self._db)

    def read(self, work: Callable[[sqlite3.Connection], T]) -> T:
        """``work`` done on the connection outside a write transaction (each statement
        reads a committed state; nothing waits for another process's writer)."""
        return work(self._db)

    def _aggregate(self, query: str, params: tuple[Any, ...]) -> Any:
        """One JSON value computed by SQLite (a single step), parsed."""
        (value,) = self._db.execute(query, params).fetchone()
        return orjson.loads(value) if value is not None else None

    # blueprints -------------------------------------------------------------------------

    def create_blueprints(self, blueprints: list[dict[str, Any]]) -> list[str]:
        with self._transaction():
            existing = {row[0] for row in self._db.execute("SELECT identifier FROM blueprints")}
            new = new_blueprints(blueprints, existing)
            stamp = now_iso()
            self._db.executemany(
                "INSERT INTO blueprints(identifier, body, created_at, updated_at) VALUES (?,?,?,?)",
                [(bp["identifier"], dumps(bp), stamp, stamp) for bp in new],
            )
        self._rules.forget()
        return [bp["identifier"] for bp in new]

    def list_blueprints(self) -> list[dict[str, Any]]:
        return stored_blueprints(self._db)

    def blueprint_rules(self, wanted: set[str]) -> dict[str, EntityRules]:
        """The rules of every blueprint, read again when one of ``wanted`` is new to them."""
        return self._rules.covering(self._db, wanted)

    @property
    def rules_stamp(self) -> int | None:
        """The count of blueprint changes the rules were read at."""
        return self._rules.stamp

    def read_rules(self) -> None:
        """Read the blueprint rules unless they are (a resync's first write then has them)."""
        self._rules.covering(self._db, set())

    def current_rules(self) -> dict[str, EntityRules]:
        """The blueprint rules as committed now, read again if a blueprint changed: what
        deletion, search and browse follow relations by (asked once per operation, not per
        entity: it reads the count of blueprint changes)."""
        return self._rules.current(self._db)

    # entities -----------------------------------------------------------------------------

    def get_entities(self, blueprint: str, identifiers: list[str]) -> dict[str, Entity]:
        query = f"{_SELECT} WHERE blueprint = ? AND identifier IN (SELECT value FROM json_each(?))"
        rows = self._db.execute(query, (blueprint, orjson.dumps(identifiers)))
        return {row[1]: shaped(*row) for row in rows}

    def upsert_entities(
        self, prepared: PreparedBatch, owner: Owner, options: dict[str, bool]
    ) -> WriteOutcomes:
        """Write the entities of ``prepared`` (see :func:`~ocean.store.writes.prepare`),
        prepared again first if by other rules than those committed. After a write of
        new rows of some blueprints found none stored (a first sync), the next write of the
        same blueprints does not ask which are (an index seek per key): it inserts its new
        rows, and is made again asking if one is stored after all."""
        names = {blueprint for blueprint, _ in prepared.keys}
        ask = not names <= self._unasked or options.get("update_only", False)
        self._unasked -= names  # until this write finds none stored
        try:
            outcomes, missing, created_only = self._upsert(prepared, owner, options, ask=ask)
        except StoredAfterAll:
            outcomes, missing, created_only = self._upsert(prepared, owner, options, ask=True)
        if created_only and len(prepared.keys) >= _UNASKED_AFTER:
            self._unasked |= names
        if options["create_missing_related"]:  # created, and committed
            outcomes.made = sorted(missing)
            self._known.learn(missing)
            # placeholders are keys a later write may send: a write of theirs asks
            self._unasked -= {blueprint for blueprint, _ in missing}
        return outcomes

    def _upsert(
        self, prepared: PreparedBatch, owner: Owner, options: dict[str, bool], *, ask: bool
    ) -> tuple[WriteOutcomes, set[EntityKey], bool]:
        """The write's outcomes, the missing relation targets and whether it found none of
        its keys stored (each new, written without a plan)."""
        version = secrets.randbits(63)  # every write transaction stamps its own
        create = options["create_missing_related"]
        with self._transaction():
            rules = self._rules.current(self._db)
            if prepared.stamp != self._rules.stamp:
                prepared = prepared_again(prepared, rules, self._rules.stamp)
            stored, versions = (
                entity_rows.stored_bodies(self._db, prepared.keys) if ask else ({}, {})
            )
            new = None if stored or options.get("update_only") else new_rows(prepared)
            missing = self._known.missing(self._db, new.targets, self._existing) if new else None
            number = functools.partial(self._owner_number, owner)
            if new is not None and missing is not None and (create or not missing):
                entity_rows.write(self._db, new.entities, number, version, new=not ask)
                entity_rows.placeholders(self._db, missing, number, version)
                relations.add(self._db, new.edges)
                return created(prepared, version), missing, True
            if not ask:
                stored, versions = entity_rows.stored_bodies(self._db, prepared.keys)
            plan = plan_batch(prepared, stored, options, rules)
            missing = self._known.missing(self._db, plan.targets(), self._existing)
            if not create and missing:
                plan.fail_missing(missing)
            entity_rows.placeholders(self._db, missing if create else set(), number, version)
            self._write_edges(plan)
            rows = [(*w.key, w.text) for w in plan.writes]
            entity_rows.write(self._db, rows, number, version, claimed=plan.claimed())
            return versioned(plan.results(), versions, version), missing, False

    def _existing(self, keys: set[EntityKey]) -> set[EntityKey]:
        if not keys:
            return set()
        query = f"SELECT json_group_array(json_array(blueprint, identifier)) FROM entities WHERE {_KEYS_IN}"
        return {(bp, ident) for bp, ident in self._aggregate(query, (dumps(sorted(keys)),))}

    def _write_edges(self, plan: BatchPlan) -> None:
        """Add the writes' new edges and remove the ones their stored bodies had."""
        new: list[Row] = []
        old: list[Row] = []
        for write in plan.writes:
            if write.before is not None and same_edges(write.before, plan.edges[write.key]):
                continue  # an update that keeps its relations
            edges = relations.rows(write.key, plan.edges[write.key])
            if write.before is not None:  # created entities have no edges yet
                before = set(relations.rows(write.key, write.before))
                old += before.difference(edges)
                edges = [edge for edge in edges if edge not in before]
            new += edges
        relations.remove(self._db, old)
        relations.add(self._db, new)

    def _owner_number(self, owner: Owner) -> int:
        """The owner's number (made on its first write); the datasource it records is the
        latest version's. Call inside a write transaction."""
        named = (owner.key, owner.datasource)
        number = self._owner_numbers.get(named)
        if number is None:
            (number,) = self._db.execute(
                "INSERT INTO owners(key, datasource) VALUES (?1, ?2) "
                "ON CONFLICT(key) DO UPDATE SET datasource = ?2 RETURNING id",
                (owner.key, owner.datasource),
            ).fetchone()
            self._owner_numbers[named] = number
        return int(number)

    def delete_entities(
        self,
        keys: list[EntityKey],
        delete_dependents: bool,
        guard: Callable[[sqlite3.Connection], None] | None = None,
        written_before: str | None = None,
        causes: Causes | None = None,
    ) -> DeleteResult:
        """Delete ``keys``; with ``delete_dependents`` also every entity relating to them, else
        keys that other entities still relate to are kept and reported; those of ``keys``
        written at or after ``written_before`` are kept, and those a cascade took that lead
        to nothing going (``causes``: :meth:`Store.delete_entities`). ``guard`` runs first in
        the transaction and may refuse it by raising (a lease's fence)."""
        with self._transaction():
            if guard is not None:
                guard(self._db)
            check_written_before(delete_dependents, written_before, causes)
            written = self._written_after(keys, written_before)
            kept = self._spared(keys, causes, written_before, written)
            doomed, blocked = set(keys) - set(written) - set(kept), {}
            frontier = set(doomed)
            while frontier:
                dependents = self._dependents(frontier)
                if delete_dependents:
                    frontier = set().union(*dependents.values()) - doomed if dependents else set()
                    doomed |= frontier
                else:
                    blocked = kept_in_use(doomed, dependents)
                    frontier = set()
            relations.remove(
                self._db, relations.outgoing(self._db, doomed, self.current_rules().get)
            )
            batch = dumps(sorted(doomed))
            self._db.execute(DISOWN, (batch,))
            self._db.execute(f"DELETE FROM entities WHERE {_KEYS_IN}", (batch,))
        return DeleteResult(sorted(doomed), blocked, written, kept)

    def _spared(
        self,
        keys: list[EntityKey],
        causes: Causes | None,
        moment: str | None,
        written: list[EntityKey],
    ) -> list[EntityKey]:
        """Those of ``keys`` (not ``written``) a cascade took only for entities touched since
        ``moment`` (:func:`~ocean.store.blocked.spared`)."""
        if moment is None or not causes:
            return []
        found = spared(keys, causes, relations.touched(self._db, watched(causes), moment))
        return sorted(set(found) - set(written))

    def _written_after(self, keys: list[EntityKey], moment: str | None) -> list[EntityKey]:
        """Those of ``keys`` written at ``moment`` or after (its millisecond included)."""
        if moment is None or not keys:
            return []
        query = f"SELECT blueprint, identifier FROM entities WHERE {_KEYS_IN} AND updated_at >= ?2"
        return sorted(self._db.execute(query, (dumps(keys), moment)).fetchall())

    def _dependents(self, keys: set[EntityKey]) -> dict[EntityKey, set[EntityKey]]:
        found: dict[EntityKey, set[EntityKey]] = {}
        for target, dependent, _ in self._edges_into(keys):
            found.setdefault(target, set()).add(dependent)
        return found

    def _edges_into(self, keys: set[EntityKey]) -> list[tuple[EntityKey, EntityKey, str]]:
        """(target, dependent, the dependent's updated_at) for each edge into ``keys``."""
        query = (
            "SELECT json_group_array(json_array(r.target_blueprint, r.target, r.blueprint, "
            "r.identifier, e.updated_at)) FROM relations r JOIN entities e "
            "ON e.blueprint = r.blueprint AND e.identifier = r.identifier "
            "WHERE (r.target_blueprint, r.target) IN (SELECT value->>0, value->>1 FROM json_each(?1))"
        )
        return [
            ((target_bp, target), (bp, ident), updated_at)
            for target_bp, target, bp, ident, updated_at in self._aggregate(
                query, (dumps(sorted(keys)),)
            )
            if (bp, ident) != (target_bp, target)
        ]

    def search(
        self, query: dict[str, Any], include: list[str] | None, exclude: list[str] | None
    ) -> list[dict[str, Any]]:
        definitions = {bp["identifier"]: bp for bp in self.list_blueprints()}
        rules_of = self.current_rules().get
        return search(self._db, query, definitions, (include, exclude), rules_of)

    # ownership, listing, runs ---------------------------------------------------------------

    def owned_keys(self, owner: Owner, before: str | None) -> set[EntityKey]:
        query = (
            "SELECT json_group_array(json_array(o.blueprint, o.identifier)) FROM ownership o "
            "JOIN entities e ON e.blueprint = o.blueprint AND e.identifier = o.identifier "
            f"WHERE o.owner = {_NUMBER} AND (?2 IS NULL OR e.updated_at <= ?2)"
        )
        return {(bp, ident) for bp, ident in self._aggregate(query, (owner.key, before))}

    def owned_among(
        self, owner: Owner, keys: list[EntityKey], before: str | None
    ) -> set[EntityKey]:
        query = (
            "SELECT json_group_array(json_array(o.blueprint, o.identifier)) FROM ownership o "
            "JOIN entities e ON e.blueprint = o.blueprint AND e.identifier = o.identifier "
            f"WHERE o.owner = {_NUMBER} AND (o.blueprint, o.identifier) IN "
            "(SELECT value->>0, value->>1 FROM json_each(?3)) AND (?2 IS NULL OR e.updated_at <= ?2)"
        )
        found = self._aggregate(query, (owner.key, before, dumps(keys)))
        return {(bp, ident) for bp, ident in found}

    def owned_page(
        self, owner: Owner, before: str | None, after: EntityKey | None, limit: int
    ) -> tuple[list[EntityKey], EntityKey | None]:
        """One page of owned keys in key order, and the cursor of the next page (or None)."""
        rows = self._db.execute(
            OWNED_PAGE, (owner.key, before, *(after or ("", "")), limit)
        ).fetchall()
        keys = [(bp, ident) for bp, ident in rows]
        return keys, (keys[-1] if len(keys) == limit else None)

    def dependents(self, keys: list[EntityKey], after: str) -> Dependents:
        found = Dependents()
        for target, dependent, updated_at in self._edges_into(set(keys)):
            found.of.setdefault(target, set()).add(dependent)
            if updated_at > after:
                found.fresh.add(dependent)
        return found

    def change_blueprint(
        self, identifier: str, change: Callable[[dict[str, Any]], dict[str, Any]]
    ) -> dict[str, Any] | None:
        with self._transaction():
            row = self._db.execute(
                "SELECT body FROM blueprints WHERE identifier = ?", (identifier,)
            ).fetchone()
            if row is None:
                return None
            current = orjson.loads(row[0])
            patch = change(current)
            if not patch:
                return dict(current)
            known = {r[0] for r in self._db.execute("SELECT identifier FROM blueprints")}
            updated = checked_update(current, patch, known)
            self._db.execute(
                "UPDATE blueprints SET body = ?, updated_at = ? WHERE identifier = ?",
                (dumps(updated), now_iso(), identifier),
            )
            strip_removed(self._db, identifier, current, updated)
            if updated.get("relations") != current.get("relations"):
                targets = relations.rebuild(self._db, identifier, EntityRules(updated))
                if missing := targets - self._existing(targets):  # rolled back
                    raise dangling_relations(identifier, sorted(missing))
        self._rules.forget()
        return updated

    def recall_pages(self, owner: Owner, slot: str, fingerprint: str) -> list[PageRecord]:
        return sqlite_pages.recall(self._db, owner.key, slot, fingerprint)

    def remember_pages(
        self, owner: Owner, slot: str, fingerprint: str, records: list[EncodedRecord]
    ) -> None:
        with self._transaction():
            sqlite_pages.remember(self._db, owner.key, slot, fingerprint, records)

    def count_owned(self, owner: Owner) -> int:
        query = f"SELECT count(*) FROM ownership WHERE owner = {_NUMBER}"
        return int(self._db.execute(query, (owner.key,)).fetchone()[0])

    def entity_page(self, blueprint: str | None, after: EntityKey, limit: int) -> list[Entity]:
        query, params = page_query(blueprint, after, limit)
        return [shaped(*row) for row in self._db.execute(query, params)]

    def count_entities(self) -> dict[str, int]:
        query = "SELECT blueprint, COUNT(*) FROM entities GROUP BY blueprint"
        return {blueprint: count for blueprint, count in self._db.execute(query)}
