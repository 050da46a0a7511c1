"""What the original gives for one leaf: ``jq.compile(text).input_value(item).first()``
(null when the program fails or yields nothing), and what Ocean gives for it, by the
leaf's own evaluation and by the generated entity builder."""

from __future__ import annotations

from typing import Any

import jq

from ocean.transform.codegen import generate_builder
from ocean.transform.jq import EvaluationError, Expression, Input
from ocean.transform.leaf import compile_node


def original(text: str, item: Any) -> Any:
    try:
        return jq.compile(text).input_value(item).first()
    except (StopIteration, ValueError):
        return None


def ocean(text: str, item: Any) -> tuple[Any, Any]:
    """The leaf's value by :meth:`Expression.first` and by the generated builder."""
    try:
        first = Expression(text, None).first(Input(item))
    except EvaluationError:
        first = None
    built = generate_builder({"x": compile_node("x", text, None)}, coerced=())
    return first, built(Input(item), {})["x"]


def typed(value: Any) -> Any:
    """``value`` with its types spelled out, so that 1 != 1.0 != True and nan == nan."""
    if isinstance(value, dict):
        return {"dict": [(typed(k), typed(v)) for k, v in value.items()]}
    if isinstance(value, list):
        return {"list": [typed(v) for v in value]}
    if isinstance(value, float) and value != value:
        return ("float", "nan")
    return (type(value).__name__, value)


def same_as_the_original(text: str, item: Any, expected: Any) -> None:
    """Assert that the original gives ``expected`` (the tables are the original's) and that
    Ocean gives it by both its routes."""
    assert typed(original(text, item)) == typed(expected)
    first, built = ocean(text, item)
    assert typed(first) == typed(expected)
    assert typed(built) == typed(expected)
