"""A property's JSON-Schema limits beyond its type, enum and format (pure): the lengths and
pattern of a string, the bounds of a number, the sizes of an array (port-api.md §10).

Each limit is a function of a value already of the property's type, giving what is wrong
or None. A definition without limits has none, so the usual property costs nothing more;
:mod:`ocean.store.plain_check` sends a property with limits to the full check. A limit a
stored blueprint spells wrongly (which :mod:`ocean.store.validation` now refuses) or a
pattern Python cannot read is not applied.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any, TypeGuard

from ocean.store.validation import LIMITS, is_limit

Check = Callable[[Any], str | None]


def limit_checks(definition: dict[str, Any], kind: str) -> list[Check]:
    """The limits ``definition`` sets on a value of JSON type ``kind`` (mostly none)."""
    if LIMITS.isdisjoint(definition):
        return []
    if kind == "string":
        return _sizes(definition, "minLength", "maxLength", "characters") + _pattern(definition)
    if kind == "number":
        return _bounds(definition) + _multiple(definition)
    if kind == "array":
        return _sizes(definition, "minItems", "maxItems", "items") + _unique(definition)
    return []


def _whole(value: Any) -> TypeGuard[int | float]:
    return is_limit(value) and value >= 0 and value % 1 == 0


def _sizes(definition: dict[str, Any], least: str, most: str, unit: str) -> list[Check]:
    """A string's length or an array's size, at least ``least`` and at most ``most``."""
    checks: list[Check] = []
    for name, sign in ((least, 1), (most, -1)):
        limit = definition.get(name)
        if _whole(limit):
            checks.append(_size(name, limit, sign, unit))
    return checks


def _size(name: str, limit: float, sign: int, unit: str) -> Check:
    """``sign`` 1: at least ``limit`` long; -1: at most."""
    side = "fewer" if sign == 1 else "more"

    def check(value: Any) -> str | None:
        if (len(value) - limit) * sign >= 0:
            return None
        return f"{value!r:.60} has {len(value)} {unit}, {side} than {name} {limit}"

    return check


def _pattern(definition: dict[str, Any]) -> list[Check]:
    pattern = definition.get("pattern")
    if not isinstance(pattern, str):
        return []
    try:
        search = re.compile(pattern).search  # JSON Schema's patterns are not anchored
    except re.error:
        return []
    return [lambda v: None if search(v) else f"{v!r:.60} does not match the pattern {pattern!r}"]


def _bounds(definition: dict[str, Any]) -> list[Check]:
    """``minimum``, ``maximum`` and their exclusive kinds: a number each (draft 6 on), or
    ``exclusiveMinimum: true`` making ``minimum`` exclusive (draft 4)."""
    checks: list[Check] = []
    for side, sign in (("minimum", 1), ("maximum", -1)):
        exclusive = f"exclusive{side.capitalize()}"
        bound, flag = definition.get(side), definition.get(exclusive)
        if is_limit(bound):
            checks.append(_bound(side, bound, sign, strict=flag is True))
        if is_limit(flag):
            checks.append(_bound(exclusive, flag, sign, strict=True))
    return checks


_WANTED = {(1, False): "at least", (1, True): "above", (-1, False): "at most", (-1, True): "below"}


def _bound(name: str, bound: float, sign: int, *, strict: bool) -> Check:
    """``sign`` 1: values at least ``bound`` (above it when ``strict``); -1: at most."""
    wanted = _WANTED[sign, strict]

    def check(value: Any) -> str | None:
        gap = (value - bound) * sign
        if gap > 0 or (gap == 0 and not strict):
            return None
        return f"{value!r:.60} must be {wanted} {bound} ({name})"

    return check


def _multiple(definition: dict[str, Any]) -> list[Check]:
    step = definition.get("multipleOf")
    if not is_limit(step, True):
        return []

    def check(value: Any) -> str | None:
        if type(value) is int and type(step) is int:
            whole = value % step == 0
        else:  # within a float's rounding: 0.3 is a multiple of 0.1
            try:
                quotient = value / step
                whole = abs(quotient - round(quotient)) <= 1e-9 * max(1.0, abs(quotient))
            except (OverflowError, ValueError):  # beyond a float, infinite, not a number
                whole = False
        return None if whole else f"{value!r:.60} is not a multiple of {step} (multipleOf)"

    return [check]


def _unique(definition: dict[str, Any]) -> list[Check]:
    if definition.get("uniqueItems") is not True:
        return []

    def check(value: Any) -> str | None:
        seen = {json.dumps(item, sort_keys=True) for item in value}
        return None if len(seen) == len(value) else f"{value!r:.60} repeats an item (uniqueItems)"

    return [check]
