"""One dedicated thread per SQLite connection: every call on it runs there, one at a time,
so the event loop stays free while SQLite works and transactions never interleave."""

from __future__ import annotations

import asyncio
import functools
import sqlite3
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import ParamSpec, TypeVar

from ocean.errors import CatalogUnavailableError, StoreError

P = ParamSpec("P")
T = TypeVar("T")

_UNUSABLE = frozenset({sqlite3.SQLITE_BUSY, sqlite3.SQLITE_IOERR, sqlite3.SQLITE_CANTOPEN})
"""SQLite's primary result codes for a file that cannot be used now, whatever was asked of
it: another connection held it past the busy timeout, it cannot be read or opened."""


def unusable(error: BaseException | None) -> bool:
    """Whether ``error`` is SQLite's for a file that cannot be used now (see
    :data:`_UNUSABLE`), rather than for what was asked of it."""
    code = getattr(error, "sqlite_errorcode", None)
    return isinstance(error, sqlite3.Error) and isinstance(code, int) and code & 0xFF in _UNUSABLE


def catalog_failure(message: str, cause: BaseException | None) -> StoreError:
    """The catalog's error saying ``message``: :class:`CatalogUnavailableError`, with what
    to do, when ``cause`` says its file cannot be used now (:func:`unusable`)."""
    if not unusable(cause):
        return StoreError(message)
    return CatalogUnavailableError(
        f"{message}: another process held the catalog's file past the busy timeout, or the "
        "file cannot be read; retry, and check the file and its disk if it goes on"
    )


class SQLiteThread:
    """Start with :meth:`start`; ``what`` names the database in error messages."""

    def __init__(self, executor: ThreadPoolExecutor, what: str) -> None:
        self._executor, self._what = executor, what

    @classmethod
    async def start(
        cls, what: str, opener: Callable[[], T], *, hint: str = ""
    ) -> tuple[SQLiteThread, T]:
        """A new thread and what ``opener`` returned, run on it (usually the connection);
        an error opening is a StoreError naming ``what``, followed by ``hint``."""
        executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ocean-sqlite")
        try:
            opened = await asyncio.get_running_loop().run_in_executor(executor, opener)
        except (OSError, sqlite3.Error) as error:
            executor.shutdown()
            raise StoreError(f"cannot open {what}: {error}{hint}") from None
        return cls(executor, what), opened

    async def run(self, function: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        call = functools.partial(function, *args, **kwargs)
        try:
            return await asyncio.get_running_loop().run_in_executor(self._executor, call)
        except sqlite3.Error as error:
            raise StoreError(f"{self._what} failed: {error}") from error

    def stop(self) -> None:
        self._executor.shutdown()
