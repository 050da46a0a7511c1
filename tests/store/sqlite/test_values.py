"""Rows written as many-row VALUES statements: every row lands, whatever the chunking."""

from __future__ import annotations

import sqlite3

import pytest

from ocean.store.sqlite.values import ROWS_PER_STATEMENT, execute_rows

STATEMENT = "INSERT INTO t(a, b, stamp) VALUES {values}"


def _table() -> sqlite3.Connection:
    db = sqlite3.connect(":memory:")
    db.execute("CREATE TABLE t (a INTEGER, b TEXT, stamp TEXT)")
    return db


@pytest.mark.parametrize("count", [0, 1, ROWS_PER_STATEMENT, ROWS_PER_STATEMENT * 2 + 1])
@pytest.mark.parametrize("variables", [999, 7], ids=["default-limit", "tiny-limit"])
def test_every_row_is_written_with_the_shared_parameters(count: int, variables: int) -> None:
    db = _table()
    db.setlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER, variables)
    rows = [(index, f"row {index}") for index in range(count)]

    execute_rows(db, STATEMENT, "({0},{1},?1)", rows, ("now",))

    assert db.execute("SELECT a, b, stamp FROM t ORDER BY a").fetchall() == [
        (index, text, "now") for index, text in rows
    ]
