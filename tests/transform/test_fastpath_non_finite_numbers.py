"""A raw item's NaN or infinity (Python's ``float("nan")``, ``json.loads("NaN")``) comes out
as the original's jq hands it back: NaN as null, an infinity as the largest double."""

from __future__ import annotations

import math
from typing import Any

import pytest

from tests.transform.original import same_as_the_original

NAN, INF, LARGEST = math.nan, math.inf, 1.7976931348623157e308

CASES: list[tuple[str, Any, Any]] = [
    (".a", {"a": NAN}, None),
    (".a", {"a": INF}, LARGEST),
    (".a", {"a": -INF}, -LARGEST),
    (".a.b", {"a": {"b": NAN}}, None),
    (".a[0]", {"a": [NAN]}, None),
    ('.a // "default"', {"a": NAN}, None),  # NaN is a number: true for //, printed null
    ("[.a[]]", {"a": [NAN, 1, INF]}, [None, 1, LARGEST]),
    (".a", {"a": {"x": NAN, "y": [INF]}}, {"x": None, "y": [LARGEST]}),
]


@pytest.mark.parametrize(("text", "item", "expected"), CASES)
def test_nan_is_null_and_an_infinity_the_largest_double(
    text: str, item: Any, expected: Any
) -> None:
    same_as_the_original(text, item, expected)
