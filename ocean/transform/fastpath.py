"""Evaluate the common mapping expressions in Python, with jq's exact semantics.

About 80% of real mapping leaves are plain paths (``.a.b``, ``.["x"]``, ``.a[0]``), literals,
``A // B`` defaults and string interpolation of those. :func:`compile_fast` turns such a
text into a Python callable; anything else returns ``None`` and runs through jq. At runtime
a callable raises :class:`Fallback` when a value needs jq's own formatting (for example a
float inside an interpolation), and the caller then runs jq for that item.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from typing import Any

from ocean.transform.jq_lexer import mask_strings, top_level, wrapped_in_parentheses
from ocean.transform.keyed_text import keyed_text
from ocean.transform.values import (
    EXACT_DOUBLE,
    exact_literal,
    from_jq,
    json_equal,
    missed_other_key,
)

Fast = Callable[[Any], Any]

_IDENT = r"[A-Za-z_][A-Za-z0-9_]*"
_STR = r'"(?:[^"\\]|\\["\\/bfnrt]|\\u[0-9a-fA-F]{4})*"'
_SEGMENT = re.compile(rf"\.({_IDENT})|\.?\[({_STR})\]|\.({_STR})|\.?\[(-?\d+)\]")
_NUMBER = re.compile(r"-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?")
_LITERALS = {"true": True, "false": False, "null": None}
_SURROGATE = re.compile("[\ud800-\udfff]")
_EXACT_INT = 10**16


class Fallback(Exception):
    """This input needs the real jq."""


_JqError = Fallback  # where jq would raise, jq runs and produces its own message


def compile_fast(text: str) -> Fast | None:
    """A Python callable equivalent to ``text``, or None when jq must run it."""
    return normalised(compile_raw(text))


def normalised(raw: Fast | None) -> Fast | None:
    """``raw`` with its results passed through ``from_jq``, as jq hands values back."""
    if raw is None:
        return None

    def run(item: Any) -> Any:
        value = raw(item)
        return value if type(value) is str else from_jq(value)

    return run


def compile_raw(text: str) -> Fast | None:
    """Like :func:`compile_fast`, but results are not yet normalised with ``from_jq``."""
    text = text.strip()
    constant = _constant(text)
    if constant is not _ABSENT:
        return lambda _item: constant
    return _compile_raw(text)


def constant_value(text: str) -> Any:
    """The value of a literal text (a JSON scalar), or None when it is not a non-null literal."""
    value = _constant(text)
    return None if value is _ABSENT else value


def key_path(text: str) -> list[str] | None:
    """``[k1, k2, ...]`` when ``text`` is exactly ``.k1.k2...`` (plain keys), else None."""
    steps = _steps(text) if text.startswith(".") and text != "." else None
    if steps and all(isinstance(step, str) for step in steps):
        return [str(step) for step in steps]
    return None


def _constant(text: str) -> Any:
    """The value of a literal text (string, number, true, false, null), else ``_ABSENT``."""
    if text in _LITERALS:
        return _LITERALS[text]
    if _NUMBER.fullmatch(text) or (text.startswith('"') and "\\(" not in text):
        try:
            value = json.loads(text)
        except ValueError:
            return _ABSENT
        return from_jq(value) if _as_jq_reads(value) else _ABSENT
    return _ABSENT


def _as_jq_reads(value: Any) -> bool:
    """False for a literal jq reads otherwise than Python, so jq evaluates it: a number
    Python reads as infinite (``1e1000``, jq's largest double), a string with half a
    surrogate pair (``"\\ud800"``, which jq does not compile)."""
    if type(value) is str:
        return _SURROGATE.search(value) is None
    return type(value) is not float or math.isfinite(value)


def _compile_raw(text: str) -> Fast | None:
    text = text.strip()
    masked = mask_strings(text)
    if masked is None:
        return None
    if wrapped_in_parentheses(masked):
        return _compile_raw(text[1:-1])
    for compile_operator in (_pipe, _alternative, _or, _and, _comparison):
        compiled = compile_operator(text, masked)
        if compiled is not _ABSENT:
            return compiled  # type: ignore[return-value]
    return _term(text, masked)


_ABSENT = object()
"""An operator compiler's answer when the operator does not occur at the top level."""


def _parts(text: str, masked: str, operator: str, *, word: bool = False) -> list[str] | None:
    positions = top_level(masked, operator, word=word)
    if not positions:
        return None
    bounds = [0, *(p for at in positions for p in (at, at + len(operator))), len(text)]
    return [text[bounds[i] : bounds[i + 1]] for i in range(0, len(bounds), 2)]


def _pipe(text: str, masked: str) -> Fast | None | object:
    parts = _parts(text, masked, "|")
    if parts is None:
        return _ABSENT
    *head, last = parts
    inner = _compile_raw("|".join(head))
    finish = _PIPE_FINISHERS.get(last.strip())
    if inner is None or finish is None:
        return None
    return lambda item: finish(inner(item))


def _alternative(text: str, masked: str) -> Fast | None | object:
    parts = _parts(text, masked, "//")
    if parts is None:
        return _ABSENT
    options = [_compile_raw(part) for part in parts]
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


def _or(text: str, masked: str) -> Fast | None | object:
    return _boolean(text, masked, "or")


def _and(text: str, masked: str) -> Fast | None | object:
    return _boolean(text, masked, "and")


def _boolean(text: str, masked: str, operator: str) -> Fast | None | object:
    parts = _parts(text, masked, operator, word=True)
    if parts is None:
        return _ABSENT
    operands = [_compile_raw(part) for part in parts]
    if any(operand is None for operand in operands):
        return None
    checks = [operand for operand in operands if operand is not None]
    if operator == "and":
        return lambda item: all(_truthy(check(item)) for check in checks)
    return lambda item: any(_truthy(check(item)) for check in checks)


def _comparison(text: str, masked: str) -> Fast | None | object:
    split = {operator: _parts(text, masked, operator) for operator in ("==", "!=")}
    if all(parts is not None for parts in split.values()):
        return None  # `.a == .b != .c`: comparisons do not chain in JQ, jq says so
    for operator, parts in split.items():
        if parts is None:
            continue
        if len(parts) != 2:
            return None
        left, right = _compile_raw(parts[0]), _compile_raw(parts[1])
        if left is None or right is None:
            return None
        equal = operator == "=="
        return lambda item: _jq_equal(left(item), right(item)) is equal
    return _ABSENT


def _term(text: str, masked: str) -> Fast | None:
    if text in _LITERALS:
        constant = _LITERALS[text]
        return lambda _item: constant
    if _NUMBER.fullmatch(text):
        number = json.loads(text)
        return (lambda _item: number) if _as_jq_reads(number) and exact_literal(text) else None
    if text.startswith('"'):
        return _string(text)
    if text.startswith("."):
        return _path(text)
    if text.startswith("if ") and masked.endswith("end"):
        return _conditional(text, masked)
    if text.startswith("[") and text.endswith("[]]"):
        return _collect(text[1:-3])
    return None


def _conditional(text: str, masked: str) -> Fast | None:
    """``if C then A (elif C then A)* (else B)? end``."""
    marks = sorted(
        (at, word)
        for word in ("if", "then", "elif", "else", "end")
        for at in top_level(masked, word, word=True)
    )
    words = [word for _, word in marks]
    if words[0] != "if" or words[-1] != "end" or words.count("if") != 1 or words.count("end") != 1:
        return None
    bodies = [
        _compile_raw(text[at + len(word) : marks[i + 1][0]])
        for i, (at, word) in enumerate(marks[:-1])
    ]
    if any(body is None for body in bodies) or not _well_formed(words):
        return None
    steps = list(zip(words, bodies, strict=False))

    def run(item: Any) -> Any:
        for position in range(0, len(steps) - 1, 2):
            word, condition = steps[position]
            if word == "else":
                return condition(item)  # type: ignore[misc]
            if _truthy(condition(item)):  # type: ignore[misc]
                return steps[position + 1][1](item)  # type: ignore[misc]
        return steps[-1][1](item) if steps[-1][0] == "else" else item  # type: ignore[misc]

    return run


def _well_formed(words: list[str]) -> bool:
    """``then`` after ``if`` and after each ``elif``, an ``else`` at most last."""
    middle = words[1:-1]
    if middle and middle[-1] == "else":
        middle = middle[:-1]
    return (
        middle[:1] == ["then"]
        and middle[-1:] == ["then"]
        and all(
            pair in (("then", "elif"), ("elif", "then"))
            for pair in zip(middle, middle[1:], strict=False)
        )
    )


def _collect(text: str) -> Fast | None:
    """``[P[]]``: the values of an array or object as an array, where ``P`` is a postfix
    term (a path or a parenthesised expression): ``[]`` binds tighter than any operator,
    so ``[.a // .b[]]`` is ``[.a // (.b[])]`` and goes to jq."""
    text = text.strip()
    masked = mask_strings(text)
    if masked is None or not (wrapped_in_parentheses(masked) or text.startswith(".")):
        return None
    inner = _path(text) if text.startswith(".") else _compile_raw(text)
    if inner is None:
        return None

    def run(item: Any) -> list[Any]:
        value = inner(item)
        if type(value) is list:
            return list(value)
        if type(value) is dict:
            return list(value.values())
        raise Fallback

    return run


def _truthy(value: Any) -> bool:
    return value is not None and value is not False


def _length(value: Any) -> Any:
    if value is None:
        return 0
    if type(value) in (str, list, dict):
        return len(value)
    if type(value) in (int, float):
        return abs(value)
    raise Fallback


def _jq_equal(left: Any, right: Any) -> bool:
    if not (_plain(left) and _plain(right)):
        raise Fallback
    return json_equal(left, right)


def _plain(value: Any) -> bool:
    """Whether ``value`` compares here as jq compares it: JSON's types all through (a date
    or UUID of a raw item, at any depth, is text to jq), integers a double holds exactly."""
    if type(value) is str or type(value) is bool or value is None:  # the usual operands
        return True
    pending = [value]
    while pending:
        part = pending.pop()
        kind = type(part)
        if kind not in _JSON_TYPES or (kind is int and abs(part) > EXACT_DOUBLE):
            return False
        if kind is dict:
            if any(type(key) is not str for key in part):
                return False  # jq reads such a key as its JSON text: {1: x} equals {"1": x}
            pending.extend(part.values())
        elif kind is list:
            pending.extend(part)
    return True


_JSON_TYPES = (str, int, float, bool, type(None), list, dict)


_PIPE_FINISHERS: dict[str, Callable[[Any], Any]] = {
    "not": lambda value: not _truthy(value),
    "length": _length,
}


def _path(text: str) -> Fast | None:
    if text == ".":
        return lambda item: item
    steps = _steps(text)
    if steps is None:
        return None
    if all(type(step) is str for step in steps):
        return _raw_keys(steps)  # type: ignore[arg-type]
    return lambda item: _walk(item, steps)


def _raw_keys(keys: list[str]) -> Fast:
    def run(item: Any) -> Any:
        value = item
        for key in keys:
            if type(value) is dict:
                value = value.get(key)
            elif value is None:
                break
            else:
                raise Fallback
        if value is None and missed_other_key(item, keys):
            raise Fallback
        return value

    return run


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
        elif name is not None:
            steps.append(name)
        else:
            key = json.loads(bracketed or quoted)
            if not _as_jq_reads(key):
                return None  # half a surrogate pair: jq's to judge
            steps.append(key)
        position = match.end()
    return steps


def _walk(item: Any, steps: list[str | int]) -> Any:
    value = item
    for step in steps:
        if value is None:
            break
        if type(step) is str:
            if type(value) is not dict:
                raise _JqError
            value = value.get(step)
        else:
            value = _index(value, step)  # type: ignore[arg-type]
    if value is None and missed_other_key(item, steps):
        raise Fallback
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
        if isinstance(constant, str) and _as_jq_reads(constant):
            return lambda _item: constant
        return None
    found = _interpolation_pieces(text)
    if found is None:
        return None
    pieces, sources = found
    literals = [piece for piece in pieces if isinstance(piece, str)]
    parts = [piece for piece in pieces if not isinstance(piece, str)]
    tail = literals.pop()

    def run(item: Any) -> str:
        text = ""
        for literal, part in zip(literals, parts, strict=True):
            value = part(item)
            text += literal + (value if type(value) is str else _text_of(value))
        return text + tail

    paths = [key_path(source.strip()) for source in sources]
    if any(path is None for path in paths):
        return run
    keys = [path for path in paths if path is not None]
    return keyed_text(
        literals,
        keys,
        tail,
        general=run,
        text_of=_text_of,
        fallback=Fallback,
        missed=missed_other_key,
    )


def _interpolation_pieces(text: str) -> tuple[list[str | Fast], list[str]] | None:
    """The literals and compiled parts of an interpolation, in order, and each part's text."""
    if not (len(text) >= 2 and text.endswith('"')):
        return None
    body, position = text[1:-1], 0
    pieces: list[str | Fast] = []
    sources: list[str] = []
    while (start := body.find("\\(", position)) != -1:
        end = body.find(")", start)
        inner = _compile_raw(body[start + 2 : end]) if end != -1 else None
        literal = _json_fragment(body[position:start])
        escaped = start > 0 and body[start - 1] == "\\"
        if inner is None or literal is None or escaped or "(" in body[start + 2 : end]:
            return None
        pieces += [literal, inner]
        sources.append(body[start + 2 : end])
        position = end + 1
    tail = _json_fragment(body[position:])
    return None if tail is None else ([*pieces, tail], sources)


def _json_fragment(fragment: str) -> str | None:
    try:
        value = json.loads(f'"{fragment}"')
    except ValueError:
        return None
    return value if isinstance(value, str) and _as_jq_reads(value) else None


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
