"""The cursor of the running incremental resync (None in a full resync, Ocean's only kind)."""

from __future__ import annotations

import contextlib
import contextvars
import datetime as dt
from collections.abc import Iterator

from port_ocean._unsupported import missing

_cursor: contextvars.ContextVar[dt.datetime | None] = contextvars.ContextVar(
    "incremental_cursor", default=None
)


def active_incremental_cursor() -> dt.datetime | None:
    """Since when the running resync fetches changes; None: everything."""
    return _cursor.get()


@contextlib.contextmanager
def with_active_incremental_cursor(cursor: dt.datetime) -> Iterator[None]:
    """Within: :func:`active_incremental_cursor` is ``cursor`` (integrations' tests set it)."""
    token = _cursor.set(cursor)
    try:
        yield
    finally:
        _cursor.reset(token)


__all__ = ["active_incremental_cursor", "with_active_incremental_cursor"]
__getattr__ = missing(__name__)
