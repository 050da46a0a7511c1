"""The Python fast path gives exactly what jq gives, or steps aside."""

from __future__ import annotations

import datetime
import json
import uuid
from typing import Any

import jq
import pytest

from ocean.transform.codegen import generate_builder
from ocean.transform.fastpath import Fallback, compile_fast
from ocean.transform.jq import CompileError, EvaluationError, Expression, Input
from ocean.transform.leaf import compile_node
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


OPERANDS = [".a", ".b.c", ".b[0]", '.c["k"]', "null", '"x"', "1.5", "[.a[]]"]
FORMS = [
    "[{0} // {1}[]]",
    "[({0} // {1})[]]",
    "[{0}[]] // {1}",
    "[[{0}[]] // {1}[]]",
    "[{0}[]] | length",
    "[{0} // {1}[]] | length",
    "[{0} == {1}[]]",
    "[{0} or {1}[]]",
    "[if {0} then {1} end // {1}[]]",
    "if {0} then {1} else [{1}[]] end",
    '"p\\({0})q\\({1})"',
    "{0} // {1} | not",
    "({0} // {1}) == {1}",
]
FORM_ITEMS: list[Any] = [
    {"a": [1, 2], "b": {"c": [3, 4]}, "c": {"k": {"x": 1}}},
    {"a": None, "b": {"c": {"x": 1, "y": 2}}, "c": {"k": ["v", "w"]}},
    {"a": {"k": "v", "j": "w"}, "b": [[5], 6], "c": None},
    {"a": False, "b": None, "c": {"k": 0}},
    {"a": "text", "b": {"c": 2.0}, "c": {"k": [[1.5], {}]}},
]


def _forms() -> list[Any]:
    return [
        pytest.param(form.format(left, right), id=form.format(left, right))
        for form in FORMS
        for left, right in zip(OPERANDS, OPERANDS[2:] + OPERANDS[:2], strict=True)
    ]


def _outcome(evaluate: Any, item: Any) -> tuple[str, Any]:
    try:
        value = evaluate(Input(item))
    except EvaluationError:
        return ("no value", None)
    return ("value", json.dumps(value))  # JSON: true is not 1, 1.0 is 1


@pytest.mark.parametrize("text", _forms())
def test_the_fast_path_gives_what_oceans_jq_path_gives(text: str) -> None:
    """The hunt's fuzz, as a table: operators, ``[P[]]`` collection and interpolation
    combined (``[]`` binds tighter than ``//``), each on items of every shape."""
    try:
        expression = Expression(text, None)
    except CompileError:
        pytest.skip("not JQ")
    build = generate_builder({"x": compile_node("x", text, None)}, coerced=())
    for item in FORM_ITEMS:
        expected = _outcome(expression.first_by_jq, item)
        assert _outcome(expression.first, item) == expected, item
        built = build(Input(item), {})["x"]
        assert json.dumps(built) == (expected[1] if expected[0] == "value" else "null"), item


@pytest.mark.parametrize("text", ["[.a // .b[]]", "[.a.b // .c[]]", "[.a and .b[]]", '[""[]]'])
def test_collecting_anything_but_a_postfix_term_is_left_to_jq(text: str) -> None:
    assert compile_fast(text) is None


@pytest.mark.parametrize("text", ["[.a[]]", "[.a.b[0][]]", '[.["k"][]]', "[(.a // .b)[]]"])
def test_collecting_a_path_or_a_parenthesised_term_stays_in_python(text: str) -> None:
    assert compile_fast(text) is not None


@pytest.mark.parametrize("text", ["1e1000", "-1e1000", "[1e1000][0]", ".a // 1e1000"])
def test_a_number_too_large_for_a_double_gives_what_oceans_jq_path_gives(text: str) -> None:
    expression = Expression(text, None)
    build = generate_builder({"x": compile_node("x", text, None)}, coerced=())

    expected = expression.first_by_jq(Input({}))
    assert json.dumps(expression.first(Input({}))) == json.dumps(expected)
    assert json.dumps(build(Input({}), {})["x"]) == json.dumps(expected)


@pytest.mark.parametrize(
    "text",
    [
        '.u == "00000000-0000-0000-0000-000000000001"',
        '.d != "2024-01-02"',
        ".u == .u",
        ".l == .texts",
        ".o == .object",
    ],
)
def test_comparing_a_value_jq_reads_as_text_gives_what_oceans_jq_path_gives(text: str) -> None:
    item = Input(
        {
            "u": uuid.UUID(int=1),
            "d": datetime.date(2024, 1, 2),
            "l": [datetime.date(2024, 1, 2)],
            "o": {"u": uuid.UUID(int=1)},
            "texts": ["2024-01-02"],
            "object": {"u": "00000000-0000-0000-0000-000000000001"},
        }
    )
    expression = Expression(text, None)

    assert expression.first(item) is expression.first_by_jq(item)


@pytest.mark.parametrize(
    "text",
    [
        ".a == .b != .c",
        ".a != .b == .c",
        "if .a then .b elif .c else .d end",
        "if .a then .b elif .c end",
        '"\\ud800"',
        '.a // "\\ud800"',
    ],
    ids=[
        "equal-then-unequal",
        "unequal-then-equal",
        "elif-without-then",
        "elif-without-then-or-else",
        "half-a-surrogate-pair",
        "half-a-surrogate-pair-as-default",
    ],
)
def test_what_jq_does_not_compile_is_left_to_jq(text: str) -> None:
    """The Python path takes only valid JQ: jq refuses these (comparisons do not chain,
    each ``elif`` needs its ``then``, a lone half of a surrogate pair is no text)."""
    assert compile_fast(text) is None
    with pytest.raises(ValueError):
        jq.compile(text)
