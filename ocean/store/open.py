"""Open the catalog a URL names: ``sqlite:///relative.db``, ``sqlite:////abs.db`` or a file path."""

from __future__ import annotations

from pathlib import Path

from ocean.errors import StoreError
from ocean.store.base import Store
from ocean.store.postgres import PostgresStore
from ocean.store.sqlite import SQLiteStore


def sqlite_path(url: str) -> Path | None:
    """The file a SQLite catalog URL points to, or None for another kind of catalog."""
    if url.startswith("sqlite:///"):
        return Path(url.removeprefix("sqlite:///"))
    if "://" not in url:
        return Path(url)
    return None


async def open_store(url: str) -> Store:
    """Open the catalog at ``url``."""
    if url.startswith(("postgresql://", "postgres://")):
        return await PostgresStore.open(url)
    path = sqlite_path(url)
    if path is None:
        scheme = url.split("://", 1)[0]
        raise StoreError(
            f"catalog URL {url!r}: the {scheme!r} backend is not available in this version; "
            "use sqlite:///PATH (the default is sqlite:///.ocean/catalog.db) or "
            "postgresql://USER@HOST:PORT/DB."
        )
    return await SQLiteStore.open(path)
