"""Browsing one blueprint's entities a page at a time (the web UI's entity table).

:class:`Browse` says what to show: a blueprint, an optional Port search query over it,
a free-text search over identifier and title, a sort and a page. Stores that can push
this into their queries (SQLite, PostgreSQL) answer from them;
:func:`ocean.store.paging.browse` falls back to :meth:`Store.search` for the others.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

Row = Mapping[str, Any]
"""An entity as Port shapes it."""

META_SORTS = ("$identifier", "$title", "$createdAt", "$updatedAt")


@dataclass(frozen=True)
class Browse:
    """One page of a blueprint's entities."""

    blueprint: str
    query: dict[str, Any] | None = None
    """A Port search query (a group: combinator and rules) the entities must also match."""
    text: str = ""
    """Matched case-insensitively inside the identifier or the title."""
    sort: str = "$identifier"
    """``$identifier``, ``$title``, ``$createdAt``, ``$updatedAt`` or a property name."""
    descending: bool = False
    offset: int = 0
    limit: int = 50


@dataclass(frozen=True)
class BrowsePage:
    """The entities of a page, and how many match in all (None: not counted, because a
    search query had to be checked entity by entity; ``more`` says if a next page exists)."""

    entities: Sequence[Row]
    total: int | None
    more: bool


def sort_key(entity: Row, sort: str) -> tuple[int, str]:
    """Missing values last, the others compared as text (numbers padded to compare as numbers)."""
    field = {"$identifier": "identifier", "$title": "title"}.get(sort)
    if field is None and sort in META_SORTS:
        field = sort[1:]
    value = entity.get(field) if field else (entity.get("properties") or {}).get(sort)
    if value is None:
        return (1, "")
    if isinstance(value, int | float) and not isinstance(value, bool):
        return (0, f"{value:030.6f}")
    return (0, str(value))


def like_pattern(text: str) -> str:
    """``text`` as a LIKE pattern matching it anywhere (``%``, ``_`` and ``\\`` escaped)."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def sort_path(sort: str) -> tuple[str, list[str]]:
    """The column to sort by (``identifier``, ``created_at``, ``updated_at``, ``body``) and,
    for ``body``, the keys of the value inside its JSON."""
    columns = {"$identifier": "identifier", "$createdAt": "created_at", "$updatedAt": "updated_at"}
    if sort in columns:
        return columns[sort], []
    if sort == "$title":
        return "body", ["title"]
    return "body", ["properties", sort]


_IN_BODY_TEXT = ("contains", "beginsWith", "endsWith")
_NOT_IN_BODY = ("$identifier", "$blueprint", "$datasource", "$createdAt", "$updatedAt")


def body_needles(query: dict[str, Any] | None) -> list[str]:
    """Texts every entity matching ``query`` holds in its stored JSON body: the values of
    the top-level ``and`` rules that need a string property to contain, begin or end with
    them (when JSON writes them as they are). A store narrows its scan with them (``LIKE``),
    then checks the query itself on what is left."""
    if not isinstance(query, dict) or query.get("combinator") != "and":
        return []
    needles = []
    for rule in query.get("rules") or []:
        if not isinstance(rule, dict) or rule.get("operator") not in _IN_BODY_TEXT:
            continue
        value, name = rule.get("value"), rule.get("property")
        if isinstance(name, str) and name not in _NOT_IN_BODY and _plain(value):
            needles.append(str(value))
    return needles


def _plain(value: Any) -> bool:
    """A non-empty string JSON writes unchanged (no quote, backslash or control character)."""
    return (
        isinstance(value, str)
        and value != ""
        and not any(c in '"\\' or ord(c) < 32 or c in "\u2028\u2029" for c in value)
    )
