"""Open the catalog a URL names: SQLite (a path or ``sqlite:///PATH``), ``postgresql://`` or a Port API (``https://``)."""

from __future__ import annotations

from ocean.errors import StoreError
from ocean.extras import require
from ocean.masked_url import without_password
from ocean.store.base import Owner, Store
from ocean.store.catalog_url import sqlite_path
from ocean.store.postgres.ahead import ReadyAhead
from ocean.store.sqlite.spawn import SpareCatalog
from ocean.store.sqlite.store import SQLiteStore


async def open_store(
    url: str,
    *,
    credentials: tuple[str, str] | None = None,
    own_process: bool = False,
    spare: SpareCatalog | ReadyAhead | None = None,
    owner: Owner | None = None,
) -> Store:
    """Open the catalog at ``url`` (a Port API over http(s) needs client credentials, and
    names ``owner`` in every call if given); an embedded catalog in a child process of its
    own with ``own_process`` (resyncs). ``spare``: what was started ahead for it, if
    anything (the caller closes it): the embedded catalog's process, or a PostgreSQL
    catalog's migration (waited for)."""
    if url.startswith(("postgresql://", "postgres://")):
        require("postgres")
        from ocean.store.postgres.store import PostgresStore  # imported on use: asyncpg is heavy

        if isinstance(spare, ReadyAhead):
            await spare.ready()
        return await PostgresStore.open(url)
    if url.startswith(("http://", "https://")):
        if credentials is None:
            raise StoreError(
                f"catalog {without_password(url)} is a Port API: set OCEAN__PORT__CLIENT_ID "
                "and OCEAN__PORT__CLIENT_SECRET (or port.clientId/clientSecret in config.yaml)."
            )
        from ocean.store.port.store import PortAPIStore

        return PortAPIStore.connect(url, *credentials, owner=owner)
    path = sqlite_path(url)
    if path is None:
        scheme = url.split("://", 1)[0]
        raise StoreError(
            f"catalog URL {without_password(url)!r}: the {scheme!r} backend is not available "
            "in this version; use sqlite:///PATH (the default is sqlite:///.ocean/catalog.db) or "
            "postgresql://USER@HOST:PORT/DB."
        )
    if path.is_dir():
        raise StoreError(
            f"the catalog {path} is a folder: name a file in it (such as {path / 'catalog.db'}), "
            "which Ocean creates"
        )
    process = spare if isinstance(spare, SpareCatalog) else None
    return await SQLiteStore.open(path, own_process=own_process, spare=process)
