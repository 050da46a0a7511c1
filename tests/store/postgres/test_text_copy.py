"""Rows copied in as COPY text are stored as they were given, whatever their texts hold."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import asyncpg
import pytest

from ocean.store.postgres.text_copy import Field, copy_text, render
from tests.conftest import POSTGRES_URL

_COLUMNS = ["name", "number", "digest", "names", "numbers"]
_TABLE = (
    "CREATE TABLE copied (name TEXT, number BIGINT, digest BYTEA, names TEXT[], numbers BIGINT[])"
)


@pytest.fixture
async def db() -> AsyncIterator[asyncpg.Connection]:
    schema = f"copy_{uuid.uuid4().hex[:8]}"
    connection = await asyncpg.connect(POSTGRES_URL)
    await connection.execute(f'CREATE SCHEMA "{schema}"; SET search_path TO "{schema}"; {_TABLE}')
    try:
        yield connection
    finally:
        await connection.execute(f'DROP SCHEMA "{schema}" CASCADE')
        await connection.close()


@pytest.mark.parametrize(
    ("name", "names"),
    [
        ("plain", ["a", "b-1", "team:x/y=z"]),
        ("back\\slash", ["back\\slash", "\\x00", "\\N"]),
        ('a "quote"', ['"', 'say "hi"', '\\"']),
        ("tab\there", ["tab\there", "new\nline", "carriage\rreturn"]),
        ("\\.", ["\\.", ".", ""]),
        ("unicode ünï ☃ 𝄞", ["ünï", "☃", "{braces}", "a,b", " spaced "]),
        ("", ["NULL", "null", ""]),
        ("{}", []),
    ],
)
async def test_copied_rows_read_back_as_given(
    db: asyncpg.Connection, name: str, names: list[str]
) -> None:
    rows: list[tuple[Field, ...]] = [
        (name, 7, b"\x00\xff\\t", names, [1, -2, 2**62]),
        ("bytes-like", 3, bytearray(b"\x01"), ["y"], [5]),
        ("next row", 0, b"", ["x"], []),
    ]
    await copy_text(db, "copied", _COLUMNS, rows)
    stored = await db.fetch(f"SELECT {', '.join(_COLUMNS)} FROM copied ORDER BY number DESC")
    assert [tuple(row) for row in stored] == [(*row[:2], bytes(row[2]), *row[3:]) for row in rows]


async def test_copying_no_rows_sends_nothing(db: asyncpg.Connection) -> None:
    await copy_text(db, "copied", _COLUMNS, [])
    assert await db.fetchval("SELECT count(*) FROM copied") == 0


@pytest.mark.parametrize("value", [None, True, 1.5, {"a": 1}, [1, "NULL"], [1, True], ["a", 1]])
def test_a_field_of_another_type_is_refused_by_name(value: object) -> None:
    with pytest.raises(TypeError, match="boolean|cannot copy|texts or integers|expected str"):
        render([("x", value)], 2)  # type: ignore[list-item]


def test_a_row_of_another_width_is_refused() -> None:
    with pytest.raises(ValueError, match="2 fields"):
        render([("a\tb",)], 2)
