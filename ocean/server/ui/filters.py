"""The entity table's filter box as a Port search query: rows of property, operator and
value in the query string (``p``, ``op``, ``v``, repeated; ``c`` the combinator), each
value read as the property's type says."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

OPERATORS = (
    "=", "!=", ">", ">=", "<", "<=", "contains", "doesNotContains", "beginsWith",
    "doesNotBeginsWith", "endsWith", "doesNotEndsWith", "in", "notIn", "isEmpty", "isNotEmpty",
)  # fmt: skip
_LISTS = ("in", "notIn")
_NO_VALUE = ("isEmpty", "isNotEmpty")


@dataclass(frozen=True)
class FilterRow:
    """One rule as the form shows it."""

    property: str
    operator: str
    value: str


def rows_of(params: Any) -> list[FilterRow]:
    """The filter rows of a query string (rows without a property are left out)."""
    names, operators, values = params.getlist("p"), params.getlist("op"), params.getlist("v")
    rows = []
    for index, name in enumerate(names):
        operator = operators[index] if index < len(operators) else "="
        value = values[index] if index < len(values) else ""
        if name:
            rows.append(FilterRow(name, operator, value))
    return rows


def query_of(
    rows: list[FilterRow], combinator: str, schema: dict[str, Any]
) -> dict[str, Any] | None:
    """The Port search query of ``rows`` (None without rows); the search checks the rest
    (unknown operators and properties are its errors, named)."""
    if not rows:
        return None
    rules = [_rule(row, schema.get(row.property) or {}) for row in rows]
    return {"combinator": "or" if combinator == "or" else "and", "rules": rules}


def _rule(row: FilterRow, definition: dict[str, Any]) -> dict[str, Any]:
    rule: dict[str, Any] = {"property": row.property, "operator": row.operator}
    if row.operator in _NO_VALUE:
        return rule
    if row.operator in _LISTS:
        rule["value"] = [_typed(part.strip(), definition) for part in row.value.split(",")]
    else:
        rule["value"] = _typed(row.value, definition)
    return rule


def _typed(text: str, definition: dict[str, Any]) -> Any:
    kind = definition.get("type")
    if kind == "number":
        try:
            number = float(text)
        except ValueError:
            return text
        return int(number) if number.is_integer() else number
    if kind == "boolean" and text.lower() in ("true", "false"):
        return text.lower() == "true"
    return text
