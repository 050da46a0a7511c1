"""The Python fast path gives exactly what jq gives, or steps aside."""

from __future__ import annotations

from typing import Any

import jq
import pytest

from ocean.transform.fastpath import Fallback, compile_fast
from ocean.transform.values import from_jq

ITEM: dict[str, Any] = {
    "a": {"b": {"c": 3.0}, "list": [1, {"x": "y"}], "dash-key": "d"},
    "name": "svc",
    "n": 12,
    "f": 1.5,
    "big": 12345678901234567890,
    "nothing": None,
    "no": False,
    "zero": 0,
    "empty": "",
}

FAST = [
    ".",
    ".a",
    ".a.b.c",
    '.a["dash-key"]',
    '.a."dash-key"',
    ".a.list[1].x",
    ".a.list[-1]",
    ".a.list[9]",
    ".missing.deeper",
    ".nothing.x",
    ".big",
    ".f",
    '"literal"',
    "42",
    "1.0",
    "true",
    "null",
    '.nothing // "default"',
    '.no // "default"',
    '.zero // "default"',
    '.empty // "d"',
    '.missing // .also_missing // "last"',
    '"\\(.name)/\\(.n)"',
    '"\\(.nothing)-\\(.no)"',
    '"http://x/\\(.name)"',
]


@pytest.mark.parametrize("text", FAST)
def test_fast_expression_matches_jq(text: str) -> None:
    fast = compile_fast(text)

    assert fast is not None
    assert fast(ITEM) == from_jq(jq.compile(text).input_value(ITEM).first())


@pytest.mark.parametrize(
    "text",
    [
        ".a | keys",
        ".a[]",
        "[.a]",
        ".a?",
        "..",
        '.name + "x"',
        '"\\(.f)"',
        "not",
        ".a.b // empty",
        "$ENV.X",
    ],
)
def test_other_expressions_are_left_to_jq(text: str) -> None:
    fast = compile_fast(text)

    if fast is not None:  # compiled, but must step aside at runtime
        with pytest.raises(Fallback):
            fast(ITEM)


@pytest.mark.parametrize("text", [".name.x", ".a.list.x", ".n[0]", ".no // .name.x"])
def test_runtime_errors_fall_back_to_jq(text: str) -> None:
    fast = compile_fast(text)

    assert fast is not None
    with pytest.raises(Fallback):
        fast(ITEM)
