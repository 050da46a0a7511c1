"""An escape for half a surrogate pair (``\\ud800``) in a string or a key of an expression
is jq's to judge: a lone high surrogate does not compile (the field is null and reported
as not compiling), a lone low one reads as U+FFFD. The fast path must not accept either."""

from __future__ import annotations

import pytest

from ocean.mapping import parse_resource
from ocean.transform.jq import CompileError, Expression
from ocean.transform.mapper import CompiledResource


@pytest.mark.parametrize(
    "text",
    [
        '"\\(.a)\\ud83d"',
        '"\\ud800\\(.a)"',
        '"\\ud83d\\(.a)\\ude00"',
        '.["\\ud800"]',
        '.a."\\udbff"',
        '.a["\\ud800"].b',
    ],
)
def test_a_lone_high_surrogate_does_not_compile(text: str) -> None:
    with pytest.raises(CompileError):
        Expression(text, None)
    resource = parse_resource(
        {
            "kind": "k",
            "port": {
                "entity": {
                    "mappings": {
                        "identifier": ".id",
                        "blueprint": '"b"',
                        "properties": {"p": text},
                    }
                }
            },
        }
    )
    compiled = CompiledResource(resource, env=None)
    assert "properties.p" in compiled.uncompiled
    result = compiled.map_items([{"id": "x", "a": 1}])
    assert result.passed == [{"identifier": "x", "blueprint": "b", "properties": {"p": None}}]
    assert "properties.p" in result.misconfigurations


@pytest.mark.parametrize(
    ("text", "item", "expected"),
    [
        ('"\\(.a)\\udc00"', {"a": 1}, "1\ufffd"),
        ('.["\\udc00"]', {"\ufffd": 2}, 2),
    ],
)
def test_a_lone_low_surrogate_reads_as_the_replacement_character(
    text: str, item: dict[str, object], expected: object
) -> None:
    from tests.transform.original import ocean, original

    assert original(text, item) == expected  # the table is the original's
    assert ocean(text, item) == (expected, expected)
