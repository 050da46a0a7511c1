"""The embedded catalog: one SQLite file in WAL mode.

Entities are one row each (Port's fields as JSON columns) plus one ``ownership`` row per
writer, so that the ownership scan of stale deletion is an index range read.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
from collections.abc import AsyncIterator, Iterable
from pathlib import Path
from typing import Any

import aiosqlite
import orjson

from ocean.errors import StoreError
from ocean.load.diff import is_unchanged
from ocean.store.base import Owner, RunRecord, WriteOutcome
from ocean.store.migrations import migrate
from ocean.types import Entity, EntityKey

_CHUNK = 500
_PAGE = 1000


def now_iso() -> str:
    """Port's timestamp format: ISO-8601 UTC with milliseconds and ``Z``."""
    return dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class SQLiteStore:
    """The catalog in one SQLite file. Open with :meth:`open`."""

    def __init__(self, connection: aiosqlite.Connection, path: Path) -> None:
        self._db = connection
        self.path = path
        self._blueprints: set[str] = set()
        self._writing = asyncio.Lock()  # one write transaction at a time on this connection

    @classmethod
    async def open(cls, path: Path) -> SQLiteStore:
        """Open (creating and migrating if needed) the catalog file at ``path``."""
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            connection = await aiosqlite.connect(path, isolation_level=None)
            for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "busy_timeout=30000"):
                await connection.execute(f"PRAGMA {pragma}")
            await migrate(connection)
        except (OSError, aiosqlite.Error) as error:
            raise StoreError(f"cannot open the catalog {path}: {error}") from None
        return cls(connection, path)

    async def close(self) -> None:
        await self._db.close()

    async def create_blueprints(self, blueprints: list[dict[str, Any]]) -> list[str]:
        existing = {row["identifier"] for row in await self.list_blueprints()}
        new = [bp for bp in blueprints if bp.get("identifier") not in existing]
        stamp = now_iso()
        await self._db.executemany(
            "INSERT INTO blueprints(identifier, body, created_at, updated_at) VALUES (?,?,?,?)",
            [(bp["identifier"], orjson.dumps(bp), stamp, stamp) for bp in new],
        )
        self._blueprints |= {bp["identifier"] for bp in new}
        return [bp["identifier"] for bp in new]

    async def list_blueprints(self) -> list[dict[str, Any]]:
        rows = await self._db.execute_fetchall(
            "SELECT body, created_at, updated_at FROM blueprints ORDER BY identifier"
        )
        return [{**orjson.loads(body), "createdAt": c, "updatedAt": u} for body, c, u in rows]

    async def get_entities(self, blueprint: str, identifiers: list[str]) -> dict[str, Entity]:
        found: dict[str, Entity] = {}
        for chunk in _chunks(identifiers):
            marks = ",".join("?" * len(chunk))
            rows = await self._db.execute_fetchall(
                f"{_SELECT} WHERE blueprint = ? AND identifier IN ({marks})", [blueprint, *chunk]
            )
            for row in rows:
                entity = _entity_from_row(row)
                found[entity["identifier"]] = entity
        return found

    async def upsert_entities(
        self, entities: list[Entity], *, owner: Owner, merge: bool, only_changed: bool = False
    ) -> list[WriteOutcome]:
        outcomes, valid = _validate(entities, await self._blueprint_ids(entities))
        async with self._transaction():
            stored = await self._stored_bodies(valid)
            stamp = now_iso()
            rows: list[tuple[Any, ...]] = []
            for index, entity in valid:
                key = (entity["blueprint"], entity["identifier"])
                status, body = _plan_write(
                    entity, stored.get(key), merge=merge, only_changed=only_changed
                )
                outcomes.append(WriteOutcome(index, key[1], key[0], status))
                if body is not None:
                    rows.append((*key, body, stamp, stamp))
            await self._db.executemany(_UPSERT, rows)
            await self._db.executemany(
                "INSERT OR IGNORE INTO ownership(owner, blueprint, identifier, datasource) "
                "VALUES (?,?,?,?)",
                [(owner.key, row[0], row[1], owner.datasource) for row in rows],
            )
        return sorted(outcomes, key=lambda outcome: outcome.index)

    @contextlib.asynccontextmanager
    async def _transaction(self) -> AsyncIterator[None]:
        """One write transaction at a time on this connection; all or nothing."""
        async with self._writing:
            await self._db.execute("BEGIN IMMEDIATE")
            try:
                yield
            except BaseException:
                await self._db.execute("ROLLBACK")
                raise
            await self._db.execute("COMMIT")

    async def _blueprint_ids(self, entities: list[Entity]) -> set[str]:
        wanted = {str(entity.get("blueprint")) for entity in entities}
        if not wanted <= self._blueprints:
            self._blueprints = {bp["identifier"] for bp in await self.list_blueprints()}
        return self._blueprints

    async def _stored_bodies(self, valid: list[tuple[int, Entity]]) -> dict[EntityKey, bytes]:
        by_blueprint: dict[str, list[str]] = {}
        for _, entity in valid:
            by_blueprint.setdefault(entity["blueprint"], []).append(entity["identifier"])
        found: dict[EntityKey, bytes] = {}
        for blueprint, identifiers in by_blueprint.items():
            for chunk in _chunks(identifiers):
                rows = await self._db.execute_fetchall(
                    f"SELECT identifier, body FROM entities WHERE blueprint = ? "
                    f"AND identifier IN ({','.join('?' * len(chunk))})",
                    [blueprint, *chunk],
                )
                found.update(((blueprint, ident), body) for ident, body in rows)
        return found

    async def owned_keys(self, owner: Owner, *, before: str | None = None) -> set[EntityKey]:
        query = (
            "SELECT o.blueprint, o.identifier FROM ownership o JOIN entities e "
            "ON e.blueprint = o.blueprint AND e.identifier = o.identifier WHERE o.owner = ?"
        )
        params: list[Any] = [owner.key]
        if before is not None:
            query += " AND e.updated_at <= ?"
            params.append(before)
        return {(bp, ident) for bp, ident in await self._db.execute_fetchall(query, params)}

    async def delete_entities(self, keys: list[EntityKey]) -> int:
        async with self._transaction():
            await self._db.executemany(
                "DELETE FROM ownership WHERE blueprint = ? AND identifier = ?", keys
            )
            cursor = await self._db.executemany(
                "DELETE FROM entities WHERE blueprint = ? AND identifier = ?", keys
            )
        return cursor.rowcount

    async def iter_entities(self, blueprint: str | None = None) -> AsyncIterator[Entity]:
        """Every entity (of one blueprint), in key order, read a page at a time."""
        after: tuple[str, str] = ("", "")
        while True:
            where = "WHERE (blueprint, identifier) > (?, ?)" + (
                " AND blueprint = ?" if blueprint else ""
            )
            params = [*after, *([blueprint] if blueprint else [])]
            rows = list(
                await self._db.execute_fetchall(
                    f"{_SELECT} {where} ORDER BY blueprint, identifier LIMIT {_PAGE}", params
                )
            )
            for row in rows:
                yield _entity_from_row(row)
            if len(rows) < _PAGE:
                return
            last = _entity_from_row(rows[-1])
            after = (last["blueprint"], last["identifier"])

    async def count_entities(self) -> dict[str, int]:
        """Entity counts per blueprint."""
        rows = await self._db.execute_fetchall(
            "SELECT blueprint, COUNT(*) FROM entities GROUP BY blueprint"
        )
        return {blueprint: count for blueprint, count in rows}

    async def record_run(self, run: RunRecord) -> int:
        cursor = await self._db.execute(
            "INSERT INTO runs(integration, trigger, started_at, ended_at, status, report) "
            "VALUES (?,?,?,?,?,?)",
            (
                run.integration,
                run.trigger,
                run.started_at,
                run.ended_at,
                run.status,
                orjson.dumps(run.report),
            ),
        )
        return int(cursor.lastrowid or 0)

    async def list_runs(self, limit: int = 20) -> list[RunRecord]:
        rows = await self._db.execute_fetchall(
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


_SELECT = "SELECT blueprint, identifier, body, created_at, updated_at FROM entities"
_UPSERT = (
    "INSERT INTO entities(blueprint, identifier, body, created_at, updated_at) "
    "VALUES (?,?,?,?,?) ON CONFLICT(blueprint, identifier) DO UPDATE SET "
    "body=excluded.body, updated_at=excluded.updated_at"
)
_BODY_FIELDS = ("title", "icon", "team", "properties", "relations")


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
            failed.append(
                WriteOutcome(
                    index,
                    entity.get("identifier"),
                    str(entity.get("blueprint")),
                    "failed",
                    error=problem,
                )
            )
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
    entity: Entity, stored: bytes | None, *, merge: bool, only_changed: bool
) -> tuple[str, bytes | None]:
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


def _dumps(value: Any) -> bytes:
    try:
        return orjson.dumps(value)
    except TypeError:  # integers beyond 64 bits
        return json.dumps(value).encode()


def _entity_from_body(body: bytes) -> Entity:
    stored = orjson.loads(body)
    return {
        "title": stored.get("title"),
        "icon": stored.get("icon"),
        "team": stored.get("team") or [],
        "properties": stored.get("properties") or {},
        "relations": stored.get("relations") or {},
    }


def _entity_from_row(row: Iterable[Any]) -> Entity:
    blueprint, identifier, body, created, updated = row
    stored = orjson.loads(body)
    return {
        "identifier": identifier,
        "title": stored.get("title"),
        "icon": stored.get("icon"),
        "blueprint": blueprint,
        "team": stored.get("team") or [],
        "properties": stored.get("properties") or {},
        "relations": stored.get("relations") or {},
        "createdAt": created,
        "updatedAt": updated,
    }


def _chunks(values: list[str]) -> Iterable[list[str]]:
    for start in range(0, len(values), _CHUNK):
        yield values[start : start + _CHUNK]
