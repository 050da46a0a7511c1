"""Many rows written as the parameters of many-row ``VALUES`` statements (pure SQL text,
run on the store's thread).

A bulk write used to pass its rows as one JSON array that SQLite took apart with
``json_each``: Python escaped every body into the array and SQLite parsed it back. Bound
parameters cost neither, and one ``execute`` per few hundred rows still keeps the GIL with
the store's thread for the whole statement instead of handing it over per row.
"""

from __future__ import annotations

import functools
import sqlite3
from collections.abc import Sequence
from itertools import chain
from typing import Any

ROWS_PER_STATEMENT = 200
"""Full-size statements share one text, which the connection prepares once and caches."""


def execute_rows(
    db: sqlite3.Connection,
    statement: str,
    row: str,
    rows: Sequence[Sequence[Any]],
    shared: Sequence[Any] = (),
) -> None:
    """Run ``statement`` (``{values}`` where the rows go) over ``rows``, a few hundred at a
    time. ``row`` is one row's SQL with ``{0}``, ``{1}``... for its columns; ``?1``, ``?2``...
    in it or in ``statement`` are the ``shared`` parameters."""
    if not rows:
        return
    width = len(rows[0])
    room = db.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER) - len(shared)
    size = max(1, min(ROWS_PER_STATEMENT, room // width))
    for start in range(0, len(rows), size):
        chunk = rows[start : start + size]
        sql = _statement(statement, row, width, len(shared), len(chunk))
        db.execute(sql, [*shared, *chain.from_iterable(chunk)])


@functools.lru_cache(maxsize=32)
def _statement(statement: str, row: str, width: int, shared: int, count: int) -> str:
    marks = (
        row.format(*(f"?{shared + width * index + column + 1}" for column in range(width)))
        for index in range(count)
    )
    return statement.format(values=",".join(marks))
