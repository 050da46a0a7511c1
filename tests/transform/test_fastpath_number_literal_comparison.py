"""jq 1.8 compares a number literal by its decimal text, not as a double:
``1.0000000000000001 == 1`` is false there, so Python's float comparison must not decide it."""

from __future__ import annotations

from typing import Any

import pytest

from tests.transform.original import same_as_the_original

CASES: list[tuple[str, Any, Any]] = [
    (".a == 1.0000000000000001", {"a": 1}, False),
    (".a != 1.0000000000000001", {"a": 1}, True),
    ("1.0000000000000001 == 1", {}, False),
    (".a == 1e-400", {"a": 0}, False),
    (".a == 0.30000000000000000001", {"a": 0.3}, False),
    ('if .a == 1.0000000000000001 then "one" else "other" end', {"a": 1}, "other"),
    # exact literals still compare as numbers
    (".a == 0.1", {"a": 0.1}, True),
    (".a == 1.10", {"a": 1.1}, True),
    (".a == 100", {"a": 100.0}, True),
    (".a == 1e2", {"a": 100}, True),
    (".a == -0.0", {"a": 0}, True),
]


@pytest.mark.parametrize(("text", "item", "expected"), CASES)
def test_a_number_literal_compares_by_its_decimal_value(
    text: str, item: Any, expected: Any
) -> None:
    same_as_the_original(text, item, expected)
