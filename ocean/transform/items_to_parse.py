"""``itemsToParse``: fan one raw item out into one mapped input per element of an array.

Exactly as the original expands during a resync (for list handlers too, which the
original skips): the expression's first output must be a list, each element is placed
under ``itemsToParseName`` in a copy of the parent, and with
``itemsToParseTopLevelTransform`` the parent first loses the array (``del(P)``, P read
from the expression's text). Unlike the original, a text with no leading path keeps the
parent whole instead of dropping every item.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator, Mapping
from typing import Any

from ocean.transform.jq import CompileError, Expression, Input

_PATH_START = re.compile(r"\.[A-Za-z_][A-Za-z0-9_]*|\.\[[^\]]+\]")
_PATH_STEP = re.compile(r"\.[A-Za-z_][A-Za-z0-9_]*|\.?\[[^\]]+\]")
BATCH = 200
"""Mapped inputs per batch, as the original's ``yield_items_to_parse_batch_size``."""


def deletion_path(text: str) -> str | None:
    """The path the original deletes from the parent, read from the text (spaces around
    it ignored, as the original strips them); None if there is none."""
    text = text.strip()
    if text.startswith("(") and ")" in text:
        text = text[1 : text.index(")")]
    for segment in (part.strip() for part in text.split("|")):
        if segment == "." or segment.startswith("$") or re.match(r"^\.\s+as\s", segment):
            continue
        start = _PATH_START.match(segment)
        if start is None:
            continue
        end = start.end()
        while step := _PATH_STEP.match(segment, end):
            end = step.end()
        return segment[:end]
    return None


class ItemsToParse:
    """A compiled ``itemsToParse`` setting."""

    def __init__(
        self, text: str, *, name: str, top_level_transform: bool, env: Mapping[str, str] | None
    ) -> None:
        self.text, self.name = text, name
        self.problem: str | None = None
        """Why ``text`` does not compile (then nothing is expanded: see
        :meth:`~ocean.transform.mapper.CompiledResource.problems`), or None."""
        stripped = text.strip()  # spaces or a newline around it (YAML's `|`) change nothing
        self._items: Expression | None = None
        self._parent: Expression | None = None
        try:
            self._items = Expression(stripped, env)
            path = deletion_path(stripped) if top_level_transform else None
            self._parent = Expression(f"del({path})", None) if path else None
        except CompileError as error:
            self.problem = str(error)

    def expand(self, item: Any) -> list[dict[str, Any]] | None:
        """Mapped inputs for one raw item, or None when the item is dropped."""
        inputs = self._inputs(item)
        return None if inputs is None else list(inputs)

    def batches(self, items: list[Any], dropped: list[int]) -> Iterator[list[dict[str, Any]]]:
        """Mapped inputs in batches of at most 200, never spanning two raw items.

        Inputs are made one batch at a time, so a huge array is never copied whole.
        """
        for item in items:
            inputs = self._inputs(item)
            if inputs is None:
                dropped[0] += 1
                continue
            while batch := list(itertools.islice(inputs, BATCH)):
                yield batch

    def _inputs(self, item: Any) -> Iterator[dict[str, Any]] | None:
        if self._items is None:
            return None
        source = Input(item)
        elements = self._evaluate(self._items, source)
        if not isinstance(elements, list):
            return None
        parent = item if self._parent is None else self._evaluate(self._parent, source)
        if not isinstance(parent, dict):
            return None
        return ({**parent, self.name: element} for element in elements)

    @staticmethod
    def _evaluate(expression: Expression, source: Input) -> Any:
        return expression.lenient()(source)
