"""``browse(store, wanted)``: a page of a blueprint's entities from whichever store
(see :mod:`ocean.store.browse`): SQLite and PostgreSQL page, sort and count in their
queries; any other store is searched whole and sorted here. ``pointing(store, key, most)``:
the first entities relating to one, as a page too."""

from __future__ import annotations

from typing import Any

from ocean.store.base import Store
from ocean.store.browse import Browse, BrowsePage, Row, sort_key
from ocean.store.sqlite import browse as sqlite_browse
from ocean.store.sqlite.store import SQLiteStore
from ocean.types import EntityKey


async def browse(store: Store, wanted: Browse) -> BrowsePage:
    """The page ``wanted`` asks for, from the store's own queries when it has them."""
    if isinstance(store, SQLiteStore):
        return await store._call(sqlite_browse.browse_entities, wanted)
    if type(store).__name__ == "PostgresStore":  # asyncpg is an extra: imported on use
        from ocean.store.postgres import browse as postgres_browse

        blueprints = await store.list_blueprints()
        async with store._pool.acquire() as db:  # type: ignore[attr-defined]
            return await postgres_browse.browse_entities(db, blueprints, wanted)
    return await _searched(store, wanted)


async def pointing(store: Store, key: EntityKey, most: int) -> list[EntityKey]:
    """The first ``most`` entities relating to ``key`` (itself excluded), in key order: a
    ``LIMIT`` in SQLite and PostgreSQL (a hub's many dependents are not all read)."""
    if isinstance(store, SQLiteStore):
        return await store._call(sqlite_browse.pointing, key, most)
    if type(store).__name__ == "PostgresStore":
        from ocean.store.postgres import browse as postgres_browse

        async with store._pool.acquire() as db:  # type: ignore[attr-defined]
            return await postgres_browse.pointing(db, key, most)
    return sorted((await store.dependents([key], after="")).of.get(key, set()))[:most]


async def _searched(store: Store, wanted: Browse) -> BrowsePage:
    rules: list[Any] = [{"property": "$blueprint", "operator": "=", "value": wanted.blueprint}]
    if wanted.query is not None:
        rules.append(wanted.query)
    found = [
        e for e in await store.search({"combinator": "and", "rules": rules}) if _has(e, wanted)
    ]
    found.sort(key=lambda entity: sort_key(entity, wanted.sort), reverse=wanted.descending)
    page = found[wanted.offset : wanted.offset + wanted.limit]
    return BrowsePage(page, len(found), wanted.offset + wanted.limit < len(found))


def _has(entity: Row, wanted: Browse) -> bool:
    needle = wanted.text.casefold()
    title = entity.get("title") or ""
    return not needle or needle in entity["identifier"].casefold() or needle in title.casefold()
