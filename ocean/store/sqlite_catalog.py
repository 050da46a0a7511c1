"""The embedded catalog's SQL, run synchronously on the store's own thread.

Each public method is one complete operation (a whole write transaction at most), so the
async :class:`~ocean.store.sqlite.SQLiteStore` hands it to its thread in one hop and the
event loop keeps mapping the next batch meanwhile.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import sqlite3
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import orjson

from ocean.load.diff import is_unchanged
from ocean.store.base import Owner, RunRecord, WriteOutcome
from ocean.store.migrations import migrate
from ocean.types import Entity, EntityKey

_CHUNK = 500
_PRAGMAS = ("journal_mode=WAL", "synchronous=NORMAL", "busy_timeout=30000")
_SELECT = "SELECT blueprint, identifier, body, created_at, updated_at FROM entities"
# Bulk statements take the whole batch as one JSON array and loop in SQLite's C code: one
# step per batch instead of one per row, so the GIL is not handed back and forth per row
# (which stalls the event loop's thread and this one in turn when both are busy).
_UPSERT = (
    "INSERT INTO entities(blueprint, identifier, body, created_at, updated_at) "
    "SELECT value->>0, value->>1, value->>2, ?2, ?2 FROM json_each(?1) WHERE true "
    "ON CONFLICT(blueprint, identifier) DO UPDATE SET "
    "body=excluded.body, updated_at=excluded.updated_at"
)
_OWN = (
    "INSERT OR IGNORE INTO ownership(owner, blueprint, identifier, datasource) "
    "SELECT ?2, value->>0, value->>1, ?3 FROM json_each(?1)"
)
_STORED = (
    "SELECT json_group_array(json_array(identifier, body)) FROM entities "
    "WHERE blueprint = ?1 AND identifier IN (SELECT value FROM json_each(?2))"
)
_BODY_FIELDS = ("title", "icon", "team", "properties", "relations")


def now_iso() -> str:
    """Port's timestamp format: ISO-8601 UTC with milliseconds and ``Z``."""
    return dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class SQLiteCatalog:
    """Synchronous operations on one SQLite connection (used from one thread only)."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        for pragma in _PRAGMAS:
            self._db.execute(f"PRAGMA {pragma}")
        migrate(self._db)
        self._blueprints: set[str] = set()

    def close(self) -> None:
        self._db.close()

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[None]:
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    def create_blueprints(self, blueprints: list[dict[str, Any]]) -> list[str]:
        with self._transaction():
            existing = {row[0] for row in self._db.execute("SELECT identifier FROM blueprints")}
            new = [bp for bp in blueprints if bp.get("identifier") not in existing]
            stamp = now_iso()
            self._db.executemany(
                "INSERT INTO blueprints(identifier, body, created_at, updated_at) VALUES (?,?,?,?)",
                [(bp["identifier"], orjson.dumps(bp), stamp, stamp) for bp in new],
            )
        self._blueprints |= existing | {bp["identifier"] for bp in new}
        return [bp["identifier"] for bp in new]

    def list_blueprints(self) -> list[dict[str, Any]]:
        rows = self._db.execute(
            "SELECT body, created_at, updated_at FROM blueprints ORDER BY identifier"
        )
        return [{**orjson.loads(body), "createdAt": c, "updatedAt": u} for body, c, u in rows]

    def get_entities(self, blueprint: str, identifiers: list[str]) -> dict[str, Entity]:
        found: dict[str, Entity] = {}
        for chunk in _chunks(identifiers):
            marks = ",".join("?" * len(chunk))
            query = f"{_SELECT} WHERE blueprint = ? AND identifier IN ({marks})"
            for row in self._db.execute(query, [blueprint, *chunk]):
                found[row[1]] = entity_from_row(row)
        return found

    def upsert_entities(
        self, entities: list[Entity], owner: Owner, merge: bool, only_changed: bool
    ) -> list[WriteOutcome]:
        outcomes, valid = _validate(entities, self._blueprint_ids(entities))
        with self._transaction():
            stored = self._stored_bodies(valid)
            rows: list[tuple[str, str, str]] = []
            for index, entity in valid:
                key = (entity["blueprint"], entity["identifier"])
                status, body = _plan_write(entity, stored.get(key), merge, only_changed)
                outcomes.append(WriteOutcome(index, key[1], key[0], status))
                if body is not None:
                    rows.append((*key, body))
            if rows:
                batch = orjson.dumps(rows).decode()
                self._db.execute(_UPSERT, (batch, now_iso()))
                self._db.execute(_OWN, (batch, owner.key, owner.datasource))
        return sorted(outcomes, key=lambda outcome: outcome.index)

    def _blueprint_ids(self, entities: list[Entity]) -> set[str]:
        if not {str(entity.get("blueprint")) for entity in entities} <= self._blueprints:
            self._blueprints = {
                row[0] for row in self._db.execute("SELECT identifier FROM blueprints")
            }
        return self._blueprints

    def _stored_bodies(self, valid: list[tuple[int, Entity]]) -> dict[EntityKey, str]:
        by_blueprint: dict[str, list[str]] = {}
        for _, entity in valid:
            by_blueprint.setdefault(entity["blueprint"], []).append(entity["identifier"])
        found: dict[EntityKey, str] = {}
        for blueprint, identifiers in by_blueprint.items():
            (pairs,) = self._db.execute(_STORED, (blueprint, orjson.dumps(identifiers))).fetchone()
            found.update(((blueprint, ident), body) for ident, body in orjson.loads(pairs))
        return found

    def owned_keys(self, owner: Owner, before: str | None) -> set[EntityKey]:
        query = (
            "SELECT o.blueprint, o.identifier FROM ownership o JOIN entities e "
            "ON e.blueprint = o.blueprint AND e.identifier = o.identifier WHERE o.owner = ?"
        )
        params: list[Any] = [owner.key]
        if before is not None:
            query += " AND e.updated_at <= ?"
            params.append(before)
        aggregated = "SELECT json_group_array(json_array(o.blueprint, o.identifier)) "
        (pairs,) = self._db.execute(aggregated + query[query.index("FROM") :], params).fetchone()
        return {(bp, ident) for bp, ident in orjson.loads(pairs)}

    def count_owned(self, owner: Owner) -> int:
        query = "SELECT count(*) FROM ownership WHERE owner = ?"
        return int(self._db.execute(query, (owner.key,)).fetchone()[0])

    def delete_entities(self, keys: list[EntityKey]) -> int:
        with self._transaction():
            self._db.executemany(
                "DELETE FROM ownership WHERE blueprint = ? AND identifier = ?", keys
            )
            cursor = self._db.executemany(
                "DELETE FROM entities WHERE blueprint = ? AND identifier = ?", keys
            )
        return cursor.rowcount

    def entity_page(self, blueprint: str | None, after: EntityKey, limit: int) -> list[Entity]:
        where = "WHERE (blueprint, identifier) > (?, ?)" + (
            " AND blueprint = ?" if blueprint else ""
        )
        params = [*after, *([blueprint] if blueprint else [])]
        query = f"{_SELECT} {where} ORDER BY blueprint, identifier LIMIT {int(limit)}"
        return [entity_from_row(row) for row in self._db.execute(query, params)]

    def count_entities(self) -> dict[str, int]:
        query = "SELECT blueprint, COUNT(*) FROM entities GROUP BY blueprint"
        return {blueprint: count for blueprint, count in self._db.execute(query)}

    def record_run(self, run: RunRecord) -> int:
        cursor = self._db.execute(
            "INSERT INTO runs(integration, trigger, started_at, ended_at, status, report) "
            "VALUES (?,?,?,?,?,?)",
            (
                run.integration,
                run.trigger,
                run.started_at,
                run.ended_at,
                run.status,
                _dumps(run.report),
            ),
        )
        return int(cursor.lastrowid or 0)

    def list_runs(self, limit: int) -> list[RunRecord]:
        rows = self._db.execute(
            "SELECT id, integration, trigger, started_at, ended_at, status, report FROM runs "
            "ORDER BY id DESC LIMIT ?",
            (limit,),
        )
        return [
            RunRecord(
                id=r[0],
                integration=r[1],
                trigger=r[2],
                started_at=r[3],
                ended_at=r[4],
                status=r[5],
                report=orjson.loads(r[6]),
            )
            for r in rows
        ]


def _validate(
    entities: list[Entity], blueprints: set[str]
) -> tuple[list[WriteOutcome], list[tuple[int, Entity]]]:
    failed: list[WriteOutcome] = []
    valid: list[tuple[int, Entity]] = []
    for index, entity in enumerate(entities):
        problem = _problem(entity, blueprints)
        if problem is None:
            valid.append((index, entity))
        else:
            identifier, blueprint = entity.get("identifier"), str(entity.get("blueprint"))
            failed.append(WriteOutcome(index, identifier, blueprint, "failed", error=problem))
    return failed, valid


def _problem(entity: Entity, blueprints: set[str]) -> str | None:
    identifier, blueprint = entity.get("identifier"), entity.get("blueprint")
    if not isinstance(identifier, str) or not identifier:
        return f"identifier {identifier!r:.80} is not a non-empty string; map it to a string"
    if blueprint not in blueprints:
        return (
            f"blueprint {blueprint!r} does not exist in the catalog; "
            "add it to .port/resources/blueprints.json"
        )
    return None


def _plan_write(
    entity: Entity, stored: str | None, merge: bool, only_changed: bool
) -> tuple[str, str | None]:
    """What to do with one entity: its status and the body to write (None: write nothing)."""
    encoded = _dumps(_body(entity))
    if stored is None:
        return "created", encoded
    if only_changed and (stored == encoded or is_unchanged(entity, _entity_from_body(stored))):
        return "unchanged", None
    if not merge:
        return "updated", encoded
    return "updated", _dumps(_merge(orjson.loads(stored), entity))


def _body(entity: Entity) -> dict[str, Any]:
    return {name: entity[name] for name in _BODY_FIELDS if name in entity}  # type: ignore[literal-required]


def _merge(old: dict[str, Any], new: Entity) -> dict[str, Any]:
    """Port's ``merge=true``: sent fields replace, properties and relations merge key-wise."""
    merged = {**old, **_body(new)}
    for name in ("properties", "relations"):
        if name in new and name in old:
            merged[name] = {**old[name], **new[name]}
    return merged


def _dumps(value: Any) -> str:
    try:
        return orjson.dumps(value).decode()
    except TypeError:  # integers beyond 64 bits
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _entity_from_body(body: str) -> Entity:
    stored = orjson.loads(body)
    return {
        "title": stored.get("title"),
        "icon": stored.get("icon"),
        "team": stored.get("team") or [],
        "properties": stored.get("properties") or {},
        "relations": stored.get("relations") or {},
    }


def entity_from_row(row: Iterable[Any]) -> Entity:
    """A stored row shaped as Port shapes an entity."""
    blueprint, identifier, body, created, updated = row
    entity = _entity_from_body(body)
    return {
        "identifier": identifier,
        "blueprint": blueprint,
        **entity,
        "createdAt": created,
        "updatedAt": updated,
    }


def _chunks(values: list[str]) -> Iterable[list[str]]:
    for start in range(0, len(values), _CHUNK):
        yield values[start : start + _CHUNK]
