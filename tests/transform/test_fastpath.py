"""The Python fast path gives exactly what jq gives, or steps aside."""

from __future__ import annotations

from typing import Any

import jq
import pytest

from ocean.transform.fastpath import Fallback, compile_fast
from ocean.transform.values import from_jq

ITEMS: list[dict[str, Any]] = [
    {
        "a": {"b": {"c": 3.0}, "list": [1, {"x": "y"}], "dash-key": "d"},
        "name": "svc",
        "n": 12,
        "f": 1.5,
        "big": 12345678901234567890,
        "nothing": None,
        "no": False,
        "yes": True,
        "zero": 0,
        "empty": "",
        "tags": ["x", "y"],
        "obj": {"k": 1, "j": [2]},
        "private": False,
        "archived": True,
        "status": "open",
    },
    {
        "a": None,
        "name": "other",
        "n": 1.0,
        "private": True,
        "archived": None,
        "tags": [],
        "obj": {},
        "status": "x",
    },
]

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
    '"\\(.obj.k)-\\(.a.missing)-\\(.a.b.c)"',
    '"\\(.yes) \\(.big) \\(.zero)"',
    '"\\(.a.b)"',
    ".private == false",
    ".private != true",
    '.status == "open"',
    ".n == 12",
    ".n == 1",
    ".yes == 1",
    ".archived == false and .private == false",
    ".private or .archived",
    ".archived | not",
    ".tags | length",
    ".name | length",
    ".obj | length",
    ".missing | length",
    "[.tags[]]",
    "[.obj[]]",
    'if .archived then "archived" else "active" end',
    'if .private then "p" elif .archived then "a" else "n" end',
    "if .private then 1 end",
    '(.name // "x")',
    '"a\\"b" == .name',
    '.name == "x|y"',
]


@pytest.mark.parametrize("item", range(len(ITEMS)))
@pytest.mark.parametrize("text", FAST)
def test_fast_expression_matches_jq(text: str, item: int) -> None:
    fast = compile_fast(text)
    assert fast is not None

    try:
        expected: Any = from_jq(jq.compile(text).input_value(ITEMS[item]).first())
    except ValueError:
        with pytest.raises(Fallback):
            fast(ITEMS[item])
        return
    try:
        assert fast(ITEMS[item]) == expected
        assert type(fast(ITEMS[item])) is type(expected)
    except Fallback:
        pass  # stepping aside is always allowed


@pytest.mark.parametrize(
    "text",
    [
        ".a | keys",
        ".a[]",
        "[.a]",
        ".a?",
        "..",
        '.name + "x"',
        "not",
        ".a.b // empty",
        "$ENV.X",
        "if .a then 1 else 2 end | .x",
        ".a |= 1",
        ".a //= 1",
        '"\\(.a | tostring)"',
        ".a < 1",
    ],
)
def test_other_expressions_are_left_to_jq(text: str) -> None:
    fast = compile_fast(text)

    if fast is not None:  # compiled, but must step aside at runtime
        with pytest.raises(Fallback):
            fast(ITEMS[0])


@pytest.mark.parametrize(
    "text",
    [".name.x", ".a.list.x", ".n[0]", ".no // .name.x", '"\\(.f)"', "[.name[]]", '"\\(.name.x)"'],
)
def test_runtime_errors_fall_back_to_jq(text: str) -> None:
    fast = compile_fast(text)

    assert fast is not None
    with pytest.raises(Fallback):
        fast(ITEMS[0])
