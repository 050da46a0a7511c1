"""A PostgreSQL catalog made ready on a thread of its own while ``ocean sail`` starts.

A new catalog's schema is one script the server runs in about 40 ms, and opening any
catalog takes a few round trips; the sail meanwhile imports its modules and loads the
integration. So ``ocean sail`` starts a thread first thing (as it starts the embedded
catalog's process, :mod:`ocean.store.sqlite.spawn`) that connects on its own event loop and
migrates; when the store opens, it waits for that thread and finds the schema current. A
failure there is left for the store's own opening to report, and nothing else is shared:
the thread's session closes when it is done.
"""

from __future__ import annotations

import contextlib
import threading

_WAIT = 5.0
"""Seconds the store's opening waits for the thread at most (then it migrates itself:
concurrent migrations wait on one advisory lock)."""


class ReadyAhead:
    """The thread getting the catalog at ``url`` ready; :meth:`wait` before opening it."""

    def __init__(self, url: str) -> None:
        self._url = url
        self._thread = threading.Thread(target=self._run, name="ocean-catalog-ahead", daemon=True)

    @classmethod
    def start_for(cls, url: str | None) -> ReadyAhead | None:
        """One started for ``url`` if it is a PostgreSQL catalog (else None)."""
        if url is None or not url.startswith(("postgresql://", "postgres://")):
            return None
        ahead = cls(url)
        ahead._thread.start()
        return ahead

    async def ready(self) -> None:
        """Once the thread is done (or after :data:`_WAIT` seconds)."""
        import asyncio

        await asyncio.to_thread(self._thread.join, _WAIT)

    def close(self) -> None:
        """Nothing to end: the thread ends with its work (a daemon: never waited for)."""

    def _run(self) -> None:
        """(This module imports next to nothing: it is imported as the sail starts.)"""
        import asyncio

        with contextlib.suppress(Exception):  # the store's opening says what went wrong
            asyncio.run(_migrated(self._url))


async def _migrated(url: str) -> None:
    from ocean.store.postgres.connections import pooled
    from ocean.store.postgres.schema import migrate

    pool, schema = await pooled(url, size=1)
    try:
        async with pool.acquire() as connection:
            await migrate(connection, schema)
    finally:
        await pool.close()
