"""The PostgreSQL catalog's audit log (:class:`~ocean.store.audit.KeepsAudit`) and
blueprint deletion."""

from __future__ import annotations

import asyncpg
import orjson

from ocean.errors import NotFoundError
from ocean.store.audit import COLUMNS, AuditEntry, AuditFilter, entry_of, row_of, where
from ocean.store.blueprint_removal import refuse_deletion
from ocean.store.postgres.rules import lock_blueprint_changes, lock_blueprints
from ocean.store.writes import dumps

_INSERT = f"INSERT INTO audit_log({COLUMNS}) VALUES ({', '.join(f'${n}' for n in range(1, 13))})"


async def record(pool: asyncpg.Pool, entries: list[AuditEntry]) -> None:
    if entries:
        rows = [tuple(map(_storable, row_of(entry, dumps))) for entry in entries]
        async with pool.acquire() as db, db.transaction():
            await db.executemany(_INSERT, rows)


def _storable(value: object) -> object:
    """A text PostgreSQL can hold: a NUL (in a refused identifier, say) written as its
    JSON escape, so that the refusal is logged rather than failing the request."""
    return value.replace("\x00", "\\u0000") if isinstance(value, str) else value


async def query(pool: asyncpg.Pool, wanted: AuditFilter) -> list[AuditEntry]:
    clause, params = where(wanted, lambda n: f"${n}")
    sql = f"SELECT {COLUMNS} FROM audit_log{clause} ORDER BY seq DESC LIMIT ${len(params) + 1}"
    rows = await pool.fetch(sql, *params, wanted.limit)
    return [entry_of(tuple(row), orjson.loads) for row in rows]


async def prune(pool: asyncpg.Pool, before: str, most: int) -> int:
    """Delete at most ``most`` entries stamped before ``before``, the oldest first."""
    status = await pool.execute(
        "DELETE FROM audit_log WHERE seq IN "
        "(SELECT seq FROM audit_log WHERE at < $1 ORDER BY at LIMIT $2)",
        before,
        most,
    )
    return int(status.split()[-1])


async def delete_blueprint(pool: asyncpg.Pool, identifier: str) -> None:
    """Delete a blueprint that has no entities and that no other blueprint relates to."""
    async with pool.acquire() as db, db.transaction():
        await lock_blueprint_changes(db)
        await lock_blueprints(db, [identifier])  # as its entities' writes
        if await db.fetchval("SELECT 1 FROM blueprints WHERE identifier = $1", identifier) is None:
            raise NotFoundError(f"blueprint {identifier!r} does not exist")
        count = await db.fetchval("SELECT count(*) FROM entities WHERE blueprint = $1", identifier)
        rows = await db.fetch(
            "SELECT identifier, body FROM blueprints WHERE identifier != $1", identifier
        )
        refuse_deletion(identifier, int(count), {r[0]: orjson.loads(r[1]) for r in rows})
        await db.execute("DELETE FROM blueprints WHERE identifier = $1", identifier)
