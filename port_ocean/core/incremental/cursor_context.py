"""The cursor of the running incremental kind (None in a full resync): Ocean's own
(:mod:`ocean.extract.cursor`), set by its incremental runs around each kind."""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterator

from ocean.extract.cursor import active_cursor, cursor_scope
from port_ocean._unsupported import missing


def active_incremental_cursor() -> dt.datetime | None:
    """Since when the running kind fetches changes; None: everything."""
    return active_cursor()


@contextlib.contextmanager
def with_active_incremental_cursor(cursor: dt.datetime) -> Iterator[None]:
    """Within: :func:`active_incremental_cursor` is ``cursor`` (integrations' tests set it)."""
    with cursor_scope(cursor):
        yield


__all__ = ["active_incremental_cursor", "with_active_incremental_cursor"]
__getattr__ = missing(__name__)
