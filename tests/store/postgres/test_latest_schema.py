"""A new PostgreSQL catalog, made by one script, has the schema its migrations make one by
one: tables, columns, indexes, constraints, triggers, functions, sequences, comments and
the rows a migration writes."""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import pytest

from ocean.store.postgres.schema import MIGRATIONS, migrate
from tests.conftest import POSTGRES_URL

_QUERIES = {
    "tables": "SELECT relname, relkind, relpersistence FROM pg_class "
    "WHERE relnamespace = $1::regnamespace AND relkind IN ('r', 'S') ORDER BY 1",
    "columns": "SELECT c.relname, a.attnum, a.attname, format_type(a.atttypid, a.atttypmod), "
    "co.collname, a.attnotnull, pg_get_expr(d.adbin, d.adrelid) FROM pg_attribute a "
    "JOIN pg_class c ON c.oid = a.attrelid LEFT JOIN pg_collation co ON co.oid = a.attcollation "
    "LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum "
    "WHERE c.relnamespace = $1::regnamespace AND c.relkind = 'r' AND a.attnum > 0 "
    "AND NOT a.attisdropped ORDER BY 1, 2",
    "indexes": "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = $1 ORDER BY 1",
    "constraints": "SELECT c.relname, k.conname, k.contype, pg_get_constraintdef(k.oid) "
    "FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid "
    "WHERE k.connamespace = $1::regnamespace AND k.contype <> 'n' ORDER BY 1, 2",  # NOT NULL:
    # columns (PostgreSQL 18 names them after the table they were made in, renamed or not)
    "triggers": "SELECT t.tgname, pg_get_triggerdef(t.oid) FROM pg_trigger t "
    "JOIN pg_class c ON c.oid = t.tgrelid WHERE c.relnamespace = $1::regnamespace "
    "AND NOT t.tgisinternal ORDER BY 1",
    "functions": "SELECT proname, prosrc FROM pg_proc WHERE pronamespace = $1::regnamespace "
    "ORDER BY 1",
    "comments": "SELECT c.relname, obj_description(c.oid, 'pg_class') FROM pg_class c "
    "WHERE c.relnamespace = $1::regnamespace AND obj_description(c.oid, 'pg_class') IS NOT NULL "
    "ORDER BY 1",
}


@pytest.fixture
async def schemas() -> AsyncIterator[tuple[asyncpg.Connection, str, str]]:
    db = await asyncpg.connect(POSTGRES_URL)
    names = [f"shape_{uuid.uuid4().hex[:8]}" for _ in range(2)]
    try:
        yield db, *names
    finally:
        for name in names:
            await db.execute(f'DROP SCHEMA IF EXISTS "{name}" CASCADE')
        await db.close()


async def _in(db: asyncpg.Connection, schema: str) -> None:
    await db.execute(f'CREATE SCHEMA IF NOT EXISTS "{schema}"; SET search_path TO "{schema}"')


async def _shape(db: asyncpg.Connection, schema: str) -> dict[str, Any]:
    """Everything a schema holds, its own name taken out of the definitions."""
    await _in(db, schema)
    found: dict[str, Any] = {}
    for part, query in _QUERIES.items():
        rows = [list(row) for row in await db.fetch(query, schema)]
        found[part] = [[_plain(value, schema) for value in row] for row in rows]
    found["versions"] = await db.fetchval(
        "SELECT array_agg(version ORDER BY version) FROM ocean_schema"
    )
    found["deletions"] = await db.fetchval("SELECT array_agg(n) FROM entity_deletions")
    return found


def _plain(value: Any, schema: str) -> Any:
    if not isinstance(value, str):
        return value
    value = value.replace(f'"{schema}".', "").replace(f"{schema}.", "")
    return re.sub(r"\s+", " ", value).strip()  # a function's source, however indented


async def test_a_new_catalog_has_the_schema_its_migrations_make(
    schemas: tuple[asyncpg.Connection, str, str],
) -> None:
    db, migrated, latest = schemas
    await _in(db, migrated)
    async with db.transaction():  # every migration in turn, as an older catalog takes them
        await db.execute("CREATE TABLE ocean_schema (version INT NOT NULL)")
        for number, script in enumerate(MIGRATIONS, start=1):
            await db.execute(script)
            await db.execute("INSERT INTO ocean_schema(version) VALUES ($1)", number)
    await _in(db, latest)
    await migrate(db, latest)

    assert await _shape(db, latest) == await _shape(db, migrated)
