"""itemsToParse: deletion paths and expansion beyond the corpus (list handlers, no-path texts)."""

from __future__ import annotations

import pytest

from ocean.transform.items_to_parse import ItemsToParse, deletion_path


@pytest.mark.parametrize(
    ("text", "path"),
    [
        (".a.b | to_entries", ".a.b"),
        (".a | map(select(.x))", ".a"),
        (".a // []", ".a"),
        (".a[] | .b", ".a"),
        (".a[0].b", ".a[0].b"),
        (".a[1:]", ".a[1:]"),
        ('.a."b-c"', ".a"),
        ('.a["b-c"]', '.a["b-c"]'),
        (". as $x | .items", ".items"),
        ("(.a | length)", ".a"),
        ("[.a[], .b[]]", None),
        ("if .x then .a else .b end", None),
        (" (.a | map(.))", ".a"),
        ("\n.a.b\n", ".a.b"),
        ("  . as $x | .items  ", ".items"),
    ],
)
def test_deletion_path_is_read_from_the_text(text: str, path: str | None) -> None:
    assert deletion_path(text) == path


def test_text_without_a_path_keeps_the_parent_whole() -> None:
    expander = ItemsToParse("[.a[], .b[]]", name="item", top_level_transform=True, env=None)

    expanded = expander.expand({"id": 1, "a": [1], "b": [2]})

    assert expanded == [
        {"id": 1, "a": [1], "b": [2], "item": 1},
        {"id": 1, "a": [1], "b": [2], "item": 2},
    ]


def test_batches_never_span_raw_items_and_count_drops() -> None:
    expander = ItemsToParse(".xs", name="x", top_level_transform=True, env=None)
    dropped = [0]

    sizes = [
        len(b)
        for b in expander.batches([{"xs": list(range(450))}, {"xs": None}, {"xs": [1]}], dropped)
    ]

    assert sizes == [200, 200, 50, 1]
    assert dropped == [1]


@pytest.mark.parametrize("text", [" (.subs | map(.))", ".subs\n", "\t.subs | map(.) "])
def test_spaces_around_items_to_parse_change_nothing(text: str) -> None:
    expander = ItemsToParse(text, name="item", top_level_transform=True, env=None)

    assert expander.expand({"id": 1, "subs": [1, 2]}) == [
        {"id": 1, "item": 1},
        {"id": 1, "item": 2},
    ]


def test_items_to_parse_that_does_not_compile_is_a_problem_not_an_exception() -> None:
    expander = ItemsToParse(".issues | map(", name="item", top_level_transform=True, env=None)

    assert expander.problem is not None
    assert "syntax error" in expander.problem
