"""Open the live-event queue a URL names: ``sqlite:///PATH`` (or a path) or ``redis://``."""

from __future__ import annotations

from pathlib import Path

from ocean.errors import ConfigError
from ocean.extras import require
from ocean.live.queue import EventQueue
from ocean.live.sqlite_queue import SQLiteEventQueue
from ocean.masked_url import without_password
from ocean.store.catalog_url import sqlite_path

DEFAULT_QUEUE = Path(".ocean/live-events.db")


def queue_url(configured: str | None, catalog_url: str) -> str:
    """The configured queue, else a file beside the embedded catalog
    (``catalog.db`` → ``catalog.events.db``), else ``.ocean/live-events.db``.

    Not the catalog file itself: a resync's write transactions would make every event
    wait for SQLite's write lock before the route can answer.
    """
    if configured:
        return configured
    catalog_file = sqlite_path(catalog_url)
    beside = catalog_file.with_suffix(".events.db") if catalog_file else DEFAULT_QUEUE
    return f"sqlite:///{beside}"


async def open_queue(url: str, integration: str, *, consumer: str | None = None) -> EventQueue:
    """``consumer``: this replica's name in a Redis consumer group (default: see
    :mod:`ocean.live.consumer_name`)."""
    if url.startswith(("redis://", "rediss://", "unix://")):
        require("redis")
        from ocean.live.redis_queue import RedisEventQueue  # imported on use

        return await RedisEventQueue.open(url, integration, consumer=consumer)
    path = sqlite_path(url)
    if path is None:
        raise ConfigError(
            f"live-event queue URL {without_password(url)!r} is neither sqlite:///PATH nor "
            "redis://HOST:PORT/DB; fix OCEAN__LIVE_EVENTS__QUEUE_URL"
        )
    return await SQLiteEventQueue.open(path, integration)
