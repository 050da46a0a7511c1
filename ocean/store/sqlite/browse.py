"""A page of one blueprint's entities from the embedded catalog (run on the store's thread).

Without a search query the page is one indexed ``LIMIT``/``OFFSET`` query and a count;
with one, rows are read in the page's order and checked until the page is full.
"""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from ocean.store.browse import Browse, BrowsePage, Row, body_needles, like_pattern, sort_path
from ocean.store.search import Query, Record, schema_properties
from ocean.store.sqlite.catalog import SQLiteCatalog
from ocean.store.sqlite.search import DATASOURCES, related_keys
from ocean.store.writes import shaped
from ocean.types import EntityKey

_COLUMNS = "e.blueprint, e.identifier, e.body, e.created_at, e.updated_at"


def browse_entities(catalog: SQLiteCatalog, wanted: Browse) -> BrowsePage:
    """The page ``wanted`` asks for."""
    compiled = None
    if wanted.query is not None:
        definitions = {bp["identifier"]: bp for bp in catalog.list_blueprints()}
        compiled = Query(wanted.query, properties=schema_properties(definitions))

    def read(db: sqlite3.Connection) -> BrowsePage:
        where, params = _where(wanted)
        order, order_params = _order(wanted)
        if compiled is None:
            sql = (
                f"SELECT {_COLUMNS} FROM entities e WHERE {where} ORDER BY {order} LIMIT ? OFFSET ?"
            )
            rows = db.execute(sql, [*params, *order_params, wanted.limit + 1, wanted.offset])
            entities = [shaped(*row) for row in rows]
            more = len(entities) > wanted.limit
            return BrowsePage(
                entities[: wanted.limit], _total(db, wanted, where, params, len(entities)), more
            )
        rules_of = catalog.current_rules().get
        compiled.bind(
            {rule: related_keys(db, rule, definitions, rules_of) for rule in compiled.related}
        )
        extra = DATASOURCES if compiled.uses_datasource else ""
        sql = f"SELECT {_COLUMNS}{extra} FROM entities e WHERE {where} ORDER BY {order}"
        return _checked(db.execute(sql, [*params, *order_params]), compiled, wanted)

    return catalog.read(read)


def _total(
    db: sqlite3.Connection, wanted: Browse, where: str, params: list[Any], shown: int
) -> int | None:
    """How many match: counted on the key index, but not for a free text with more than
    this page (that would read every body a second time), nor past the last page (the
    offset says nothing of how many there are: counted)."""
    if not wanted.text or (shown == 0 and wanted.offset > 0):
        sql = f"SELECT count(*) FROM entities e WHERE {where}"
        return int(db.execute(sql, params).fetchone()[0])
    return None if shown > wanted.limit else wanted.offset + shown


def _where(wanted: Browse) -> tuple[str, list[Any]]:
    where, params = "e.blueprint = ?", [wanted.blueprint]
    if wanted.text:
        pattern = like_pattern(wanted.text.casefold())  # both sides folded, as ILIKE
        # The raw body's LIKE first (no JSON parse) when the text reads the same in JSON
        # and LIKE's own (ASCII) folding is enough.
        plain = wanted.text.isascii() and not {'"', "\\"} & set(wanted.text)
        raw = "e.body LIKE ? ESCAPE '\\' AND " if plain else ""
        where += (
            f" AND (casefold(e.identifier) LIKE ? ESCAPE '\\' "
            f"OR ({raw}casefold(json_extract(e.body, '$.title')) LIKE ? ESCAPE '\\'))"
        )
        params += [pattern, pattern, pattern] if raw else [pattern, pattern]
    for needle in body_needles(wanted.query):  # a narrower scan; the query still decides
        where += " AND e.body LIKE ? ESCAPE '\\'"
        params.append(like_pattern(needle))
    return where, params


def _order(wanted: Browse) -> tuple[str, list[str]]:
    direction = "DESC" if wanted.descending else "ASC"
    column, keys = sort_path(wanted.sort)
    if not keys:
        return f"e.{column} {direction}, e.identifier {direction}", []
    path = "$" + "".join(f".{json.dumps(key)}" for key in keys)
    value = "json_extract(e.body, ?)"
    return f"{value} IS NULL, {value} {direction}, e.identifier {direction}", [path, path]


def _checked(rows: sqlite3.Cursor, query: Query, wanted: Browse) -> BrowsePage:
    """Rows in order, checked against ``query`` until the page and one more are found."""
    skipped, page = 0, list[Row]()
    for row in rows:
        datasources = json.loads(row[5]) if query.uses_datasource else []
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
    "SELECT DISTINCT blueprint, identifier FROM relations WHERE target_blueprint = ? "
    "AND target = ? AND NOT (blueprint = target_blueprint AND identifier = target) "
    "ORDER BY blueprint, identifier LIMIT ?"
)


def pointing(catalog: SQLiteCatalog, key: EntityKey, limit: int) -> list[EntityKey]:
    """The first ``limit`` entities relating to ``key`` (itself excluded), in key order."""

    def read(db: sqlite3.Connection) -> list[EntityKey]:
        return [(bp, ident) for bp, ident in db.execute(_POINTING, (*key, limit))]

    return catalog.read(read)
