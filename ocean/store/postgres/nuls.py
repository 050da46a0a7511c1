r"""NULs (U+0000) in the PostgreSQL catalog's JSON texts. A TEXT column holds a JSON text's
escaped NUL (``\u0000``) as written, as SQLite does, but ``jsonb`` (and ``json``'s operators)
refuse one: a query that reads inside stored JSON texts must not fail on a row that holds
one (an entity's property, an exception's message in a run's report)."""

from __future__ import annotations

import re

ESCAPED_NUL = r"(?<!\\)((?:\\\\)*)\\u0000"
"""An escaped NUL in a JSON text, after the escaped backslashes before it (``\\u0000`` is an
escaped backslash, then ``u0000``), the same in PostgreSQL's and Python's regular
expressions."""


def as_jsonb(text: str) -> str:
    """SQL reading the JSON text ``text`` (a column, say) as ``jsonb``, its escaped NULs read
    as U+FFFD. One without (checked first: a scan for six characters) is cast as it is."""
    return (
        f"(CASE WHEN strpos({text}, '\\u0000') = 0 THEN {text} "
        f"ELSE regexp_replace({text}, '{ESCAPED_NUL}', '\\1\\\\ufffd', 'g') END)::jsonb"
    )


def without_nuls(text: str) -> str:
    r"""The JSON text ``text``, its escaped NULs written as the six characters they escape
    (the text ``\u0000``): a value that the catalog reads as ``jsonb`` is stored so."""
    if "\\u0000" not in text:
        return text
    return re.sub(ESCAPED_NUL, r"\1\\\\u0000", text)
