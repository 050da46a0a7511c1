"""Raw items must be JSON: a value that is not (bytes, a set, an arbitrary object) fails
its own item, named by field, instead of the resync.

Every stage after extraction reads an item as its JSON (jq, the catalog's process, the
rendered entity bodies), so an item holding such a value cannot be mapped or written.
For the same reason a key that is not text (``{1: "one"}``) is made the text JSON writes
(``"1"``), so that what Python evaluates of the mapping reads what jq reads.
A page is checked in one ``orjson`` call; only a page that fails is walked item by item.
"""

from __future__ import annotations

from typing import Any

import orjson

from ocean.types import RawBatch

_OPTIONS = orjson.OPT_NON_STR_KEYS
"""Integer, date or enum keys are read as text, as Python's json writes them."""
_KEYS = (str, int, float)
"""The keys Python's json writes (bool is an int); the rendered entity bodies use it."""
_OK = object()
_MAX_DEPTH = 200
"""Deeper than this a value is reported as such (orjson stops at 255 levels)."""


def sift(
    kind: str, batch: RawBatch, first: int, *, fix: str = "Make the handler yield JSON values only"
) -> tuple[RawBatch, list[str]]:
    """The batch without its items holding a value that is not JSON, and one error per
    such item naming it (``first`` is the position of the batch's first item in the
    kind), the field and what to do (``fix``, then a hint for the value's type); keys
    that are not text made text (see :func:`text_keys`). A clean batch comes back as it
    is."""
    try:
        orjson.dumps(batch)  # without OPT_NON_STR_KEYS: a key that is not text fails too
    except TypeError:
        pass
    else:
        return batch, []
    kept: RawBatch = []
    errors: list[str] = []
    for position, item in enumerate(batch):
        found = not_json(item)
        if found is None:
            kept.append(text_keys(item))
        else:
            errors.append(_message(kind, first + position, item, *found, fix))
    return kept, errors


def text_keys(value: Any) -> Any:
    """``value`` with every key that is not text made the text JSON writes for it
    (``1`` -> ``"1"``, ``True`` -> ``"true"``), as jq reads it; parts with text keys
    only are kept as they are (``value`` itself when it has none)."""
    if isinstance(value, dict):
        items = [(key, text_keys(inner)) for key, inner in value.items()]
        plain = all(type(key) is str for key in value)
        if plain and all(inner is value[key] for key, inner in items):
            return value
        return {_key_text(key): inner for key, inner in items}
    if isinstance(value, list | tuple):
        inner_values = [text_keys(inner) for inner in value]
        unchanged = all(new is old for new, old in zip(inner_values, value, strict=True))
        return value if unchanged else inner_values
    return value


def _key_text(key: Any) -> str:
    if type(key) is str:
        return key
    try:
        written = orjson.loads(orjson.dumps({key: None}, option=_OPTIONS))
    except TypeError:  # an integer beyond 64 bits: written as its digits, as json writes it
        return str(key)
    return str(next(iter(written)))


def not_json(value: Any, path: str = "") -> tuple[str, Any] | None:
    """The path and value of the first part of ``value`` that is not JSON, or None."""
    pending: list[tuple[str, Any, int]] = [(path, value, 0)]
    while pending:
        where, part, depth = pending.pop()
        if depth > _MAX_DEPTH:
            return where, part
        if isinstance(part, dict):
            wrong = next((k for k in part if not isinstance(k, _KEYS) and k is not None), _OK)
            if wrong is not _OK:
                return f"{where}[{wrong!r}]", wrong
            pending.extend((_field(where, key), inner, depth + 1) for key, inner in part.items())
        elif isinstance(part, list | tuple):
            pending.extend((f"{where}[{i}]", inner, depth + 1) for i, inner in enumerate(part))
        elif not _plain(part):
            return where, part
    return None


def _plain(value: Any) -> bool:
    """A scalar (or key) that reads as JSON: what orjson writes, and big integers."""
    if isinstance(value, int):  # beyond 64 bits orjson refuses, Python's json writes them
        return True
    try:
        orjson.dumps(value, option=_OPTIONS)
    except TypeError:
        return False
    return True


def _field(where: str, key: Any) -> str:
    text = str(key)
    if text.isidentifier():
        return f"{where}.{text}" if where else text
    return f"{where}[{text!r}]"


def _message(kind: str, position: int, item: Any, path: str, value: Any, fix: str) -> str:
    name = type(value).__name__
    hint = "turn it into text"
    if isinstance(value, bytes | bytearray):
        hint = "decode it (value.decode()) or base64 it"
    elif isinstance(value, set | frozenset):
        hint = "turn it into a list"
    return (
        f"kind {kind!r}, item {position}{_identity(item)}: field {path or '(the item)'!r} "
        f"holds a value of type {name} ({value!r:.60}), which is not JSON; the item was skipped. "
        f"{fix}: {hint}."
    )


def _identity(item: Any) -> str:
    """The item's own id or name, when it has a plain one, to find it by."""
    if isinstance(item, dict):
        for key in ("identifier", "id", "name", "key"):
            value = item.get(key)
            if isinstance(value, str | int) and not isinstance(value, bool):
                return f" ({key} {value!r})"
    return ""
