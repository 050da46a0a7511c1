"""Raw items as the mapping reads them: keys that are not text become the text JSON
writes, so that Python-evaluated fields read what jq reads."""

from __future__ import annotations

from typing import Any

import pytest

from ocean.extract.raw_values import sift, text_keys
from ocean.mapping import parse_resource
from ocean.transform.jq import Expression, Input
from ocean.transform.mapper import CompiledResource


@pytest.mark.parametrize(
    ("item", "expected"),
    [
        ({"id": "a", 1: "one"}, {"id": "a", "1": "one"}),
        ({"id": "a", "n": {2.5: "f", True: "t", None: "n"}}, {"id": "a", "n": {"2.5": "f", "true": "t", "null": "n"}}),
        ({"id": "a", "l": [{3: "x"}], "t": ({4: 1},)}, {"id": "a", "l": [{"3": "x"}], "t": [{"4": 1}]}),
        ({"id": "a", 2**70: "big"}, {"id": "a", str(2**70): "big"}),
    ],
    ids=["top", "nested-float-bool-null", "in-lists-and-tuples", "beyond-64-bits"],
)  # fmt: skip
def test_keys_that_are_not_text_become_the_text_json_writes(
    item: dict[Any, Any], expected: dict[str, Any]
) -> None:
    kept, errors = sift("k", [item, {"id": "b"}], 0)

    assert errors == []
    assert kept == [expected, {"id": "b"}]


def test_items_with_text_keys_only_come_back_as_they_are() -> None:
    plain = {"id": "b", "obj": {"k": [1]}}
    item = {"id": "a", 1: "one", "obj": {"k": [1]}}

    kept, _ = sift("k", [item, plain], 0)

    assert kept[1] is plain
    assert kept[0]["obj"] is item["obj"]
    assert text_keys(plain) is plain


@pytest.mark.parametrize("text", ['.["1"]', ".n", '.n["2"]', '.n | has("2")', ". == ."])
def test_what_python_evaluates_of_a_sifted_item_is_what_jq_reads(text: str) -> None:
    raw = {"id": "a", 1: "one", "n": {2: "two"}}
    (item,), _ = sift("k", [raw], 0)
    mappings = {"identifier": ".id", "blueprint": '"b"', "properties": {"p": text}}
    resource = CompiledResource(
        parse_resource({"kind": "k", "port": {"entity": {"mappings": mappings}}}), env=None
    )

    (entity,) = resource.map_items([item]).passed

    expected = Expression(text, None).first_by_jq(Input(raw))
    assert expected is not None
    assert entity["properties"]["p"] == expected
