"""What an SQLite error means for the embedded catalog: an outage (its file cannot be used
now, :class:`~ocean.errors.CatalogUnavailableError`) or a failure of what was asked. Kept
apart from :mod:`.thread` so that the catalog's own process imports no asyncio."""

from __future__ import annotations

import sqlite3

from ocean.errors import CatalogUnavailableError, StoreError

_UNUSABLE = frozenset(
    {
        sqlite3.SQLITE_BUSY,
        sqlite3.SQLITE_IOERR,
        sqlite3.SQLITE_CANTOPEN,
        sqlite3.SQLITE_FULL,
        sqlite3.SQLITE_READONLY,
    }
)
"""SQLite's primary result codes for a file that cannot be used now, whatever was asked of
it: another connection held it past the busy timeout, it cannot be read, opened or
written (its disk is full, or it is read-only)."""


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
    return CatalogUnavailableError(f"{message}: {_ADVICE[_code(cause)]}")


def _code(error: BaseException | None) -> int:
    return int(getattr(error, "sqlite_errorcode", 0)) & 0xFF


_ADVICE = {
    sqlite3.SQLITE_FULL: (
        "the disk holding the catalog's file is full: free space on it, then retry"
    ),
    sqlite3.SQLITE_READONLY: (
        "the catalog's file, or its folder, cannot be written by this process: make them "
        "writable, then retry"
    ),
    sqlite3.SQLITE_BUSY: (
        "another process held the catalog's file past the busy timeout; retry, and find "
        "what holds it if it goes on"
    ),
    sqlite3.SQLITE_IOERR: (
        "reading or writing the catalog's file failed (the disk, its file system, or the "
        "process's limits such as its open files); retry, and check the disk if it goes on"
    ),
    sqlite3.SQLITE_CANTOPEN: (
        "the catalog's file (or its log) could not be opened: check that its folder exists "
        "and can be written, and the process's open files limit (ulimit -n); then retry"
    ),
}
"""What to do, by the primary result code (each of :data:`_UNUSABLE`)."""
