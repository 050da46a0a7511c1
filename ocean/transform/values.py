"""How values cross into and out of jq, so that Python-evaluated fields match jq exactly."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import orjson

EXACT_DOUBLE = 2**53
"""The largest integer a double (jq's number) holds exactly."""


def from_jq(value: Any) -> Any:
    """Normalise a value as jq hands it back: numbers pass through a double.

    Integral doubles come out as ints (``3.0`` -> ``3``), big ints are rounded, and
    date/datetime values (not JSON) become ISO strings, as the original converts them.
    """
    if value is None or value is True or value is False or type(value) is str:
        return value
    if type(value) is float:
        return int(value) if value.is_integer() else value
    if type(value) is int:
        return value if -EXACT_DOUBLE <= value <= EXACT_DOUBLE else int(float(value))
    if type(value) is dict:
        return {key: from_jq(item) for key, item in value.items()}
    if type(value) is list:
        if all(type(item) is str for item in value):
            return value[:]
        return [from_jq(item) for item in value]
    return _scalar_from_jq(value)


def _scalar_from_jq(value: Any) -> Any:
    if isinstance(value, dt.date | dt.datetime | dt.time):
        return value.isoformat()
    for plain in (bool, str, int, float):  # subclasses such as IntEnum or StrEnum
        if isinstance(value, plain):
            return from_jq(plain(value))
    return value


def to_json_text(item: Any) -> str:
    """Serialise a raw item for jq once; dates become ISO strings, big ints keep their digits."""
    try:
        return orjson.dumps(item, option=orjson.OPT_NON_STR_KEYS).decode()
    except TypeError:
        return json.dumps(item, default=_iso, ensure_ascii=False)


def _iso(value: Any) -> str:
    if isinstance(value, dt.date | dt.datetime | dt.time):
        return value.isoformat()
    raise TypeError(f"a raw item holds a {type(value).__name__}, which is not JSON: {value!r:.80}")


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
