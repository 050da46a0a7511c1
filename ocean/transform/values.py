"""How values cross into and out of jq, so that Python-evaluated fields match jq exactly."""

from __future__ import annotations

import datetime as dt
import decimal
import enum
import json
import math
import re
import sys
from typing import Any

import orjson

EXACT_DOUBLE = 2**53
"""The largest integer a double (jq's number) holds exactly."""
_LARGEST = sys.float_info.max


def from_jq(value: Any) -> Any:
    """Normalise a value as jq hands it back: numbers pass through a double.

    Integral doubles come out as ints (``3.0`` -> ``3``), big ints are rounded, and
    date/datetime values (not JSON) become ISO strings, as the original converts them;
    other Python values as :func:`to_json_text` writes them for jq.
    """
    if value is None or value is True or value is False or type(value) is str:
        return value
    if type(value) is float:  # jq's largest double (what it makes of infinity) stays a float
        if value.is_integer() and abs(value) != _LARGEST:
            return int(value)
        if value != value:  # NaN: jq writes it as null
            return None
        return math.copysign(_LARGEST, value) if math.isinf(value) else value
    if type(value) is int:
        return value if -EXACT_DOUBLE <= value <= EXACT_DOUBLE else int(float(value))
    if type(value) is dict:
        return {
            key if type(key) is str else _text_key(key): from_jq(item)
            for key, item in value.items()
        }
    if type(value) is list:
        if all(type(item) is str for item in value):
            return value[:]
        return [from_jq(item) for item in value]
    return _scalar_from_jq(value)


def _scalar_from_jq(value: Any) -> Any:
    """A value of another Python type, as orjson writes it for jq (see :func:`to_json_text`):
    dates as ISO text, an enum member as its value, subclasses of JSON's types as the type,
    a tuple as an array, keys as text; what orjson has no form for raises :class:`NotJSON`."""
    if isinstance(value, dt.date | dt.datetime | dt.time):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return from_jq(value.value)
    if isinstance(value, str):
        return str.__str__(value)  # str() of a str-based enum or subclass may say otherwise
    for plain in (bool, int, float):  # subclasses such as IntEnum
        if isinstance(value, plain):
            return from_jq(plain(value))
    if isinstance(value, dict):
        return {_text_key(key): from_jq(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [from_jq(item) for item in value]
    return from_jq(orjson.loads(_dumped(value)))  # a UUID, a dataclass, ...


def _text_key(key: Any) -> str:
    """A key as JSON writes it: ``1`` as ``"1"``, ``True`` as ``"true"``."""
    if type(key) is str:
        return key
    text: str = next(iter(orjson.loads(_dumped({key: None}))))
    return text


def _dumped(value: Any) -> bytes:
    try:
        return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS)
    except TypeError:
        raise NotJSON(value) from None


class NotJSON(TypeError):
    """A raw item holds a value JSON has no form for (a ``Decimal``, a ``set``, ``bytes``):
    that item cannot be mapped."""

    def __init__(self, value: Any) -> None:
        super().__init__(
            f"it holds a {type(value).__name__} ({value!r:.80}), which JSON has no form for; "
            "make the integration yield JSON values (str, int, float, bool, None, list, dict)"
        )


def to_json_text(item: Any) -> str:
    """Serialise a raw item for jq once; dates become ISO strings, big ints keep their digits."""
    try:
        return orjson.dumps(item, option=orjson.OPT_NON_STR_KEYS).decode()
    except TypeError:
        return json.dumps(item, default=_iso, ensure_ascii=False)


def _iso(value: Any) -> str:
    if isinstance(value, dt.date | dt.datetime | dt.time):
        return value.isoformat()
    raise NotJSON(value)


def json_equal(left: Any, right: Any) -> bool:
    """Equality of JSON values: unlike ``==``, ``true`` differs from ``1`` and ``1`` from ``1.5``."""
    kind = type(left)
    if kind is not type(right):
        both_numbers = kind in (int, float) and type(right) in (int, float)
        return both_numbers and left == right
    if kind is str:
        return bool(left == right)
    if kind is dict:
        return left.keys() == right.keys() and all(json_equal(v, right[k]) for k, v in left.items())
    if kind is list:
        return len(left) == len(right) and all(map(json_equal, left, right))
    return bool(left == right)


def missed_other_key(value: Any, steps: list[str] | list[str | int]) -> bool:
    """Whether reading ``steps`` from ``value`` missed a key of a dict that has keys other
    than strings (``{200: "ok"}``): jq reads such a key as its JSON text (``"200"``), so
    jq must read the item. Asked only when the path gave null, so a hit costs nothing."""
    for step in steps:
        if type(value) is dict and type(step) is str:
            if step not in value:
                return any(type(key) is not str for key in value)
            value = value[step]
        elif type(value) is list and type(step) is int and -len(value) <= step < len(value):
            value = value[step]
        else:
            return False
    return False


def exact_literal(text: str) -> bool:
    """Whether a number literal is the decimal its double writes (``0.1``, ``1e2``, ``3``):
    jq 1.8 compares a literal by its decimal text, so ``1.0000000000000001 == 1`` and
    ``1e-400 == 0`` are false there, where their doubles are equal."""
    if _INTEGER_TEXT.fullmatch(text):
        return True  # Python holds it exactly; beyond a double, comparing goes to jq
    return decimal.Decimal(text) == decimal.Decimal(repr(float(text)))


_INTEGER_TEXT = re.compile(r"-?\d+")
