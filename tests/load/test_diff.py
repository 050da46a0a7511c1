"""Change detection: only real changes are written."""

from __future__ import annotations

from typing import Any

import pytest

from ocean.load.diff import is_unchanged
from ocean.transform.values import json_equal

STORED: dict[str, Any] = {
    "identifier": "a",
    "blueprint": "b",
    "title": "A",
    "icon": None,
    "team": ["x", "y"],
    "properties": {"n": 1, "flag": True, "gone": None},
    "relations": {"r": "t"},
}


@pytest.mark.parametrize(
    ("entity", "unchanged"),
    [
        pytest.param({"identifier": "a", "blueprint": "b", "title": "A"}, True, id="same-title"),
        pytest.param({"identifier": "a", "blueprint": "b", "title": "B"}, False, id="new-title"),
        pytest.param(
            {"identifier": "a", "blueprint": "b", "team": ["y", "x"]}, True, id="team-order-ignored"
        ),
        pytest.param(
            {"identifier": "a", "blueprint": "b", "properties": {"n": 1.0}},
            True,
            id="int-equals-float",
        ),
        pytest.param(
            {"identifier": "a", "blueprint": "b", "properties": {"flag": 1}},
            False,
            id="true-is-not-1",
        ),
        pytest.param(
            {"identifier": "a", "blueprint": "b", "properties": {"absent": None}},
            True,
            id="null-equals-absent",
        ),
        pytest.param(
            {"identifier": "a", "blueprint": "b", "properties": {"absent": 0}},
            False,
            id="zero-is-a-value",
        ),
        pytest.param(
            {"identifier": "a", "blueprint": "b", "relations": {"r": "u"}},
            False,
            id="relation-changed",
        ),
        pytest.param(
            {"identifier": "a", "blueprint": "b", "icon": "Github"}, False, id="icon-changed"
        ),
    ],
)
def test_is_unchanged_compares_only_mapped_fields(entity: dict[str, Any], unchanged: bool) -> None:
    assert is_unchanged(entity, STORED) is unchanged  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("left", "right", "equal"),
    [
        ([1, {"a": True}], [1.0, {"a": True}], True),
        ({"a": 1}, {"a": 1, "b": 2}, False),
        (False, 0, False),
        (None, None, True),
    ],
)
def test_json_equal(left: Any, right: Any, equal: bool) -> None:
    assert json_equal(left, right) is equal
