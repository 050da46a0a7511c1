"""Compiling one mapping expression: single-quoted strings, as Ocean rewrites them."""

from __future__ import annotations

import pytest

from ocean.transform.jq import CompileError, Expression, Input, rewrite_single_quotes


@pytest.mark.parametrize(
    ("text", "rewritten", "value"),
    [
        ("[.first, .last] | join(' ')", '[.first, .last] | join(" ")', "Ada Lovelace"),
        (".full | split(' ')", '.full | split(" ")', ["Ada", "Lovelace"]),
        ("[' ']", '[" "]', [" "]),
        ("if .first then 'a' else 'b' end", 'if .first then "a" else "b" end', "a"),
        (".first + ' - ' + .last", ".first + ' - ' + .last", None),
        (".nickname // ''", '.nickname // ""', ""),
        ("if .nickname then .nickname else '' end", 'if .nickname then .nickname else "" end', ""),
        ("'' + .first", '"" + .first', "Ada"),
        (".first == ''", '.first == ""', False),
        ("' x' + .first", '" x" + .first', " xAda"),
    ],
    ids=[
        "join-space",
        "split-space",
        "space-in-list",
        "if-else",
        "spaced-quotes-left",
        "empty-at-end",
        "empty-before-a-space",
        "empty-at-start",
        "compared-with-empty",
        "space-first-at-start",
    ],
)
def test_single_quoted_strings_are_rewritten_even_where_the_original_breaks_them(
    text: str, rewritten: str, value: object
) -> None:
    """The original's one-pass regex turns ``join(' ')`` into ``join(" ')`` (not JQ: the
    field is null there); Ocean rewrites both quotes (see docs/mapping.md)."""
    item = Input({"first": "Ada", "last": "Lovelace", "full": "Ada Lovelace"})

    assert rewrite_single_quotes(text) == rewritten
    if value is None:  # a quote beside a space is left alone: not JQ, as in the original
        with pytest.raises(CompileError):
            Expression(text, None)
    else:
        assert Expression(text, None).first(item) == value
