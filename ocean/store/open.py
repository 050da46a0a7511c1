"""Open the catalog a URL names: SQLite (a path or ``sqlite:///PATH``), ``postgresql://`` or a Port API (``https://``)."""

from __future__ import annotations

from pathlib import Path

from ocean.errors import StoreError
from ocean.store.base import Store
from ocean.store.sqlite import SQLiteStore


def sqlite_path(url: str) -> Path | None:
    """The file a SQLite catalog URL points to, or None for another kind of catalog."""
    if url.startswith("sqlite:///"):
        return Path(url.removeprefix("sqlite:///"))
    if "://" not in url:
        return Path(url)
    return None


async def open_store(
    url: str, *, credentials: tuple[str, str] | None = None, own_process: bool = False
) -> Store:
    """Open the catalog at ``url`` (a Port API over http(s) needs client credentials); an
    embedded catalog in a child process of its own with ``own_process`` (resyncs)."""
    if url.startswith(("postgresql://", "postgres://")):
        from ocean.store.postgres import PostgresStore  # imported on use: asyncpg is heavy

        return await PostgresStore.open(url)
    if url.startswith(("http://", "https://")):
        if credentials is None:
            raise StoreError(
                f"catalog {url} is a Port API: set OCEAN__PORT__CLIENT_ID and "
                "OCEAN__PORT__CLIENT_SECRET (or port.clientId/clientSecret in config.yaml)."
            )
        from ocean.store.port_api import PortAPIStore

        return PortAPIStore.connect(url, *credentials)
    path = sqlite_path(url)
    if path is None:
        scheme = url.split("://", 1)[0]
        raise StoreError(
            f"catalog URL {url!r}: the {scheme!r} backend is not available in this version; "
            "use sqlite:///PATH (the default is sqlite:///.ocean/catalog.db) or "
            "postgresql://USER@HOST:PORT/DB."
        )
    return await SQLiteStore.open(path, own_process=own_process)
