"""Evaluate the common mapping expressions in Python, with jq's exact semantics.

About 80% of real mapping leaves are plain paths (``.a.b``, ``.["x"]``, ``.a[0]``), literals,
``A // B`` defaults and string interpolation of those. :func:`compile_fast` turns such a
text into a Python callable; anything else returns ``None`` and runs through jq. At runtime
a callable raises :class:`Fallback` when a value needs jq's own formatting (for example a
float inside an interpolation), and the caller then runs jq for that item.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

from ocean.transform.values import from_jq

Fast = Callable[[Any], Any]

_IDENT = r"[A-Za-z_][A-Za-z0-9_]*"
_STR = r'"(?:[^"\\]|\\["\\/bfnrt]|\\u[0-9a-fA-F]{4})*"'
_SEGMENT = re.compile(rf"\.({_IDENT})|\.?\[({_STR})\]|\.({_STR})|\.?\[(-?\d+)\]")
_NUMBER = re.compile(r"-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?")
_LITERALS = {"true": True, "false": False, "null": None}
_EXACT_INT = 10**16


class Fallback(Exception):
    """This input needs the real jq."""


_JqError = Fallback  # where jq would raise, jq runs and produces its own message


def compile_fast(text: str) -> Fast | None:
    """A Python callable equivalent to ``text``, or None when jq must run it."""
    text = text.strip()
    steps = _steps(text) if text.startswith(".") else None
    if steps is not None and len(steps) == 1 and isinstance(steps[0], str):
        return _single_key(steps[0])
    raw = _compile_raw(text)
    if raw is None:
        return None
    return lambda item: from_jq(raw(item))


def _single_key(key: str) -> Fast:
    """``.key``, the most common leaf of all, with no general machinery."""

    def run(item: Any) -> Any:
        if type(item) is dict:
            value = item.get(key)
            return value if type(value) is str or value is None else from_jq(value)
        if item is None:
            return None
        raise Fallback

    return run


def _compile_raw(text: str) -> Fast | None:
    parts = _split_alternatives(text)
    if len(parts) > 1:
        return _alternative([_compile_raw(part.strip()) for part in parts])
    if text in _LITERALS:
        constant = _LITERALS[text]
        return lambda _item: constant
    if _NUMBER.fullmatch(text):
        number = json.loads(text)
        return lambda _item: number
    if text.startswith('"'):
        return _string(text)
    if text.startswith("."):
        return _path(text)
    return None


def _alternative(options: list[Fast | None]) -> Fast | None:
    if any(option is None for option in options):
        return None
    *lefts, last = [option for option in options if option is not None]

    def run(item: Any) -> Any:
        for left in lefts:
            value = left(item)
            if value is not None and value is not False:
                return value
        return last(item)

    return run


def _path(text: str) -> Fast | None:
    if text == ".":
        return lambda item: item
    steps = _steps(text)
    if steps is None:
        return None
    return lambda item: _walk(item, steps)


def _steps(text: str) -> list[str | int] | None:
    steps: list[str | int] = []
    position = 0
    while position < len(text):
        match = _SEGMENT.match(text, position)
        if match is None:
            return None
        name, bracketed, quoted, index = match.groups()
        if index is not None:
            steps.append(int(index))
        else:
            steps.append(name if name is not None else json.loads(bracketed or quoted))
        position = match.end()
    return steps


def _walk(value: Any, steps: list[str | int]) -> Any:
    for step in steps:
        if value is None:
            return None
        if type(step) is str:
            if type(value) is not dict:
                raise _JqError
            value = value.get(step)
        else:
            value = _index(value, step)  # type: ignore[arg-type]
    return value


def _index(value: Any, position: int) -> Any:
    if type(value) is not list:
        raise _JqError
    if -len(value) <= position < len(value):
        return value[position]
    return None


def _string(text: str) -> Fast | None:
    if "\\(" not in text:
        try:
            constant = json.loads(text)
        except ValueError:
            return None
        return (lambda _item: constant) if isinstance(constant, str) else None
    pieces = _interpolation_pieces(text)
    if pieces is None:
        return None

    def run(item: Any) -> str:
        return "".join(
            piece if isinstance(piece, str) else _text_of(piece(item)) for piece in pieces
        )

    return run


def _interpolation_pieces(text: str) -> list[str | Fast] | None:
    if not (len(text) >= 2 and text.endswith('"')):
        return None
    body, position = text[1:-1], 0
    pieces: list[str | Fast] = []
    while (start := body.find("\\(", position)) != -1:
        end = body.find(")", start)
        inner = _compile_raw(body[start + 2 : end]) if end != -1 else None
        literal = _json_fragment(body[position:start])
        escaped = start > 0 and body[start - 1] == "\\"
        if inner is None or literal is None or escaped or "(" in body[start + 2 : end]:
            return None
        pieces += [literal, inner]
        position = end + 1
    tail = _json_fragment(body[position:])
    return None if tail is None else [*pieces, tail]


def _json_fragment(fragment: str) -> str | None:
    try:
        value = json.loads(f'"{fragment}"')
    except ValueError:
        return None
    return value if isinstance(value, str) else None


def _text_of(value: Any) -> str:
    """jq's ``tostring`` for the values where Python gives the same text."""
    if type(value) is str:
        return value
    if value is None:
        return "null"
    if value is True or value is False:
        return "true" if value else "false"
    if type(value) is int and -_EXACT_INT < value < _EXACT_INT:
        return str(value)
    raise _JqError


def _split_alternatives(text: str) -> list[str]:
    """Split at top-level ``//`` (outside strings, parentheses and brackets)."""
    parts, depth, start, position, in_string = [], 0, 0, 0, False
    while position < len(text):
        char = text[position]
        if in_string:
            if char == "\\":
                position += 1
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "([{":
            depth += 1
        elif char in ")]}":
            depth -= 1
        elif depth == 0 and text.startswith("//", position):
            parts.append(text[start:position])
            start = position + 2
            position += 1
        position += 1
    return [*parts, text[start:]]
