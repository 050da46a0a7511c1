"""Rows copied in as COPY's text format, for rows whose arrays asyncpg encodes slowly.

asyncpg's binary COPY (``copy_records_to_table``) encodes an array element by element
through its generic codec: a page record, three arrays of a thousand entries, cost about
1 ms of the resync's CPU, as much as copying the page's entities. Rendered here as
COPY text, an array of texts is one ``join`` when no entry holds a quote or a backslash,
and the whole payload is checked and escaped in a few passes over one string: the server
parses it (PostgreSQL's own text input of each type) on its own core.

A field is a ``str``, an ``int``, ``bytes`` (or another bytes-like object: a ``bytea``),
or a list of ``str`` or of ``int`` (an array); columns are NOT NULL, so there is no
``None``. Each row has one field per column.
"""

from __future__ import annotations

from collections.abc import Sequence

import asyncpg

Field = str | int | bytes | bytearray | memoryview | list[str] | list[int]

_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
"""COPY text's escapes: backslash, and the characters that delimit columns and rows."""


async def copy_text(
    db: asyncpg.Connection, table: str, columns: list[str], rows: Sequence[Sequence[Field]]
) -> None:
    """Copy ``rows`` (each a value per one of ``columns``) into ``table``."""
    if rows:
        # a memoryview, not bytes: asyncpg takes bytes for a file's path
        payload = memoryview(render(rows, len(columns)))
        await db.copy_to_table(table, source=payload, columns=columns, format="text")


def render(rows: Sequence[Sequence[Field]], width: int) -> bytes:
    """The rows as COPY text, UTF-8. Rows of ``width`` fields are joined as they are, and
    escaped all at once (backslashes doubled) when no field holds a tab, a newline or a
    carriage return: counting the delimiters tells. Otherwise each field is escaped."""
    if any(len(row) != width for row in rows):
        raise ValueError(f"every row to copy must have {width} fields, one per column")
    lines = ["\t".join([_field(value) for value in row]) for row in rows]
    text = "\n".join(lines) + "\n"
    plain = (
        text.count("\n") == len(rows)
        and text.count("\t") == len(rows) * (width - 1)
        and "\r" not in text
    )
    if plain:
        text = text.replace("\\", "\\\\")
    else:
        text = "".join(
            "\t".join([_field(value).translate(_COPY_ESCAPES) for value in row]) + "\n"
            for row in rows
        )
    return text.encode()


def _field(value: Field) -> str:
    """One field as PostgreSQL's text input reads it, before COPY's escapes."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        raise TypeError("a boolean field is not supported: pass 'true' or 'false'")
    if isinstance(value, int):
        return str(value)
    if isinstance(value, bytes | bytearray | memoryview):
        return "\\x" + value.hex()
    if isinstance(value, list):
        return _array(value)
    raise TypeError(f"cannot copy a {type(value).__name__} as text: {value!r}")


def _array(values: list[str] | list[int]) -> str:
    """An array literal: texts each quoted (a quote or backslash in one escaped), numbers
    as they are."""
    if not values:
        return "{}"
    if not isinstance(values[0], str):
        if not all(type(value) is int for value in values):
            raise TypeError(f"an array to copy holds texts or integers only: {values!r:.80}")
        return "{" + ",".join([str(value) for value in values]) + "}"
    texts = values
    joined = '","'.join(texts)
    if "\\" in joined or joined.count('"') != 2 * (len(texts) - 1):
        joined = '","'.join([_quoted(text) for text in texts])
    return '{"' + joined + '"}'


def _quoted(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"')
