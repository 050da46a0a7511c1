"""What a resync remembers it produced where its catalog keeps no marks of its own."""

from __future__ import annotations

from typing import Any

import pytest

from ocean.produced import Produced
from ocean.store.base import Owner


class _KeepsNoMarks:
    """A catalog without produced-key marks (as Port's API): the resync keeps the keys."""


@pytest.mark.parametrize(
    ("keys", "kept"),
    [
        pytest.param([("team", "a"), ("team", "a"), ("person", "a")], {("team", "a"), ("person", "a")}, id="strings, each once"),
        pytest.param([(None, {"b": 1, "a": [2]}), ("team", 3)], {("None", '{"a": [2], "b": 1}'), ("team", "3")}, id="not strings: as text, identifiers as JSON"),
        pytest.param([], set(), id="none"),
    ],
)  # fmt: skip
def test_keys_mapped_are_kept_in_memory_as_text(
    keys: list[tuple[Any, Any]], kept: set[tuple[str, str]]
) -> None:
    produced = Produced(_KeepsNoMarks(), Owner("fake", "mine"))  # type: ignore[arg-type]

    produced.mapped(keys)

    assert produced.memory == kept
