"""The incremental-sync cursor of the kind being extracted: since when its handler fetches
changes (None in a full resync). A context variable, so that each kind's task sees its own;
set by the incremental run around the kind (see :mod:`ocean.incremental`)."""

from __future__ import annotations

import contextlib
import contextvars
import datetime as dt
from collections.abc import Iterator

_CURSOR: contextvars.ContextVar[dt.datetime | None] = contextvars.ContextVar(
    "ocean_incremental_cursor", default=None
)


def active_cursor() -> dt.datetime | None:
    """Since when the running kind fetches changes; None: everything (a full resync)."""
    return _CURSOR.get()


@contextlib.contextmanager
def cursor_scope(cursor: dt.datetime | None) -> Iterator[None]:
    """Within: :func:`active_cursor` is ``cursor``."""
    token = _CURSOR.set(cursor)
    try:
        yield
    finally:
        _CURSOR.reset(token)
