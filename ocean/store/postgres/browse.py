"""A page of one blueprint's entities from the PostgreSQL catalog.

Without a search query the page is one indexed ``LIMIT``/``OFFSET`` query and a count;
with one, rows are read through a cursor in the page's order and checked until it is full.
"""

from __future__ import annotations

from typing import Any

import asyncpg
import orjson

from ocean.store.browse import Browse, BrowsePage, Row, body_needles, like_pattern, sort_path
from ocean.store.postgres.nuls import as_jsonb
from ocean.store.postgres.owners import DATASOURCES
from ocean.store.postgres.search import related_keys
from ocean.store.search import Query, Record, schema_properties
from ocean.store.writes import shaped
from ocean.types import EntityKey

_COLUMNS = "e.blueprint, e.identifier, e.body, e.created_at, e.updated_at"
_JSONB = as_jsonb("e.body")
"""A body as ``jsonb``: one entity holding a NUL fails neither the text search nor the sort
of its blueprint (the NUL read as U+FFFD; the stored body keeps it)."""


async def browse_entities(
    db: asyncpg.Connection, blueprints: list[dict[str, Any]], wanted: Browse
) -> BrowsePage:
    """The page ``wanted`` asks for."""
    params: list[Any] = [wanted.blueprint]
    where = "e.blueprint = $1"
    if wanted.text:
        params.append(like_pattern(wanted.text))
        # the identifier's own collation ("C") folds ASCII only: the database's folds all
        where += f" AND (e.identifier COLLATE \"default\" ILIKE $2 OR {_JSONB}->>'title' ILIKE $2)"
    for needle in body_needles(wanted.query):  # a narrower scan; the query still decides
        params.append(like_pattern(needle))
        where += f" AND e.body LIKE ${len(params)}"
    filters = list(params)
    sorted_by, order = _order(wanted, params)
    if wanted.query is None:
        total = await db.fetchval(f"SELECT count(*) FROM entities e WHERE {where}", *filters)
        count = len(params)
        sql = (
            f"SELECT {_COLUMNS} FROM entities e{sorted_by} WHERE {where} ORDER BY {order} "
            f"LIMIT ${count + 1} OFFSET ${count + 2}"
        )
        rows = await db.fetch(sql, *params, wanted.limit, wanted.offset)
        entities = [shaped(*row) for row in rows]
        return BrowsePage(entities, total, wanted.offset + len(entities) < total)
    definitions = {bp["identifier"]: bp for bp in blueprints}
    compiled = Query(wanted.query, properties=schema_properties(definitions))
    extra = DATASOURCES if compiled.uses_datasource else ""
    sql = f"SELECT {_COLUMNS}{extra} FROM entities e{sorted_by} WHERE {where} ORDER BY {order}"
    async with db.transaction(isolation="repeatable_read", readonly=True):  # one snapshot
        compiled.bind(
            {rule: await related_keys(db, rule, definitions) for rule in compiled.related}
        )
        return await _checked(db.cursor(sql, *params, prefetch=500), compiled, wanted)


def _order(wanted: Browse, params: list[Any]) -> tuple[str, str]:
    """The join reading the value sorted by (its JSON path, if any, added to ``params``) and
    the ORDER BY clause: as SQLite's ``json_extract`` orders, a missing or ``null`` value
    last, numbers (and booleans, as 0 and 1) before text, text by code point (``COLLATE
    "C"``, not the database's collation, which ``jsonb`` compares its strings with)."""
    direction = "DESC" if wanted.descending else "ASC"
    column, keys = sort_path(wanted.sort)
    if not keys:
        return "", f"e.{column} {direction}, e.identifier {direction}"
    params.append(keys)
    value = f", LATERAL (SELECT {_JSONB} #> ${len(params)}::text[] AS v) sorted"
    kind = "jsonb_typeof(sorted.v)"
    return value, (
        f"coalesce({kind}, 'null') = 'null', {kind} NOT IN ('number', 'boolean') {direction}, "
        f"CASE {kind} WHEN 'number' THEN sorted.v::numeric "
        f"WHEN 'boolean' THEN (sorted.v = 'true'::jsonb)::int END {direction}, "
        f"(CASE {kind} WHEN 'string' THEN sorted.v #>> '{{}}' ELSE sorted.v::text END) "
        f'COLLATE "C" {direction}, e.identifier {direction}'
    )


async def _checked(rows: Any, query: Query, wanted: Browse) -> BrowsePage:
    """Rows in order, checked against ``query`` until the page and one more are found."""
    skipped, page = 0, list[Row]()
    async for row in rows:
        datasources = orjson.loads(row[5]) if query.uses_datasource else []
        record = Record(shaped(*row[:5]), datasources)
        if not query.matches(record):
            continue
        if skipped < wanted.offset:
            skipped += 1
        elif len(page) < wanted.limit:
            page.append(record.entity)
        else:
            return BrowsePage(page, None, True)
    return BrowsePage(page, skipped + len(page), False)  # (fewer than the offset: all)


_POINTING = (
    "SELECT DISTINCT blueprint, identifier FROM relations WHERE target_blueprint = $1 "
    "AND target = $2 AND NOT (blueprint = target_blueprint AND identifier = target) "
    "ORDER BY blueprint, identifier LIMIT $3"
)


async def pointing(db: asyncpg.Connection, key: EntityKey, limit: int) -> list[EntityKey]:
    """The first ``limit`` entities relating to ``key`` (itself excluded), in key order."""
    return [(bp, ident) for bp, ident in await db.fetch(_POINTING, *key, limit)]
