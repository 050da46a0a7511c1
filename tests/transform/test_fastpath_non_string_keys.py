"""A raw item's dict with keys that are not strings (``{200: 5}``, ``{True: 1}``) is read
as the original's jq reads it: its keys as JSON writes them (``"200"``, ``"true"``)."""

from __future__ import annotations

from typing import Any

import pytest

from ocean.mapping import parse_resource
from ocean.transform.mapper import CompiledResource
from tests.transform.original import original, same_as_the_original

CASES: list[tuple[str, Any, Any]] = [
    ('.["200"]', {200: "ok"}, "ok"),
    ('.codes["404"]', {"codes": {404: 3}}, 3),
    (".codes.x", {"codes": {1: "a", "x": "b"}}, "b"),
    ('.codes."1"', {"codes": {1: "a"}}, "a"),
    (".true", {True: 1}, 1),
    (".null", {None: "n"}, "n"),
    ('.a["1"] // "none"', {"a": {1: "one"}}, "one"),
    ('"code \\(.codes["500"])"', {"codes": {500: "err"}}, "code err"),
    ('"\\(.a.b)-\\(.c)"', {"a": {1: "x", "b": "y"}, "c": "z"}, "y-z"),
    ('"\\(.a.b)"', {"a": {2: "x"}}, "null"),
    ('"\\(.n.x)"', {"n": {1: "one", "x": 1}}, "1"),
    (".a == .b", {"a": {1: "x"}, "b": {"1": "x"}}, True),
    (".a != .b", {"a": {1: "x"}, "b": {"1": "x"}}, False),
    ('.a.b["1"]', {"a": {"b": {1: {"c": 2}}}}, {"c": 2}),
]


@pytest.mark.parametrize(("text", "item", "expected"), CASES)
def test_a_key_that_is_not_a_string_is_read_as_its_json_text(
    text: str, item: Any, expected: Any
) -> None:
    same_as_the_original(text, item, expected)


@pytest.mark.parametrize(
    ("query", "item", "selected"),
    [
        ('.codes["200"] == "ok"', {"codes": {200: "ok"}}, True),
        (".flags.true == 1", {"flags": {True: 1}}, True),
    ],
)
def test_a_selector_reads_a_key_that_is_not_a_string(
    query: str, item: dict[str, Any], selected: bool
) -> None:
    assert original(query, item) is selected
    resource = parse_resource(
        {
            "kind": "k",
            "selector": {"query": query},
            "port": {"entity": {"mappings": {"identifier": '"id"', "blueprint": '"b"'}}},
        }
    )
    result = CompiledResource(resource, env=None).map_items([item], parse_all=True)
    assert (len(result.passed), len(result.failed)) == ((1, 0) if selected else (0, 1))
