"""A blueprint's quick yes, generated as one Python function (pure).

:class:`~ocean.store.entity_rules.EntityRules` checks every written body. Almost every
body is fine, so a generated function first answers "certainly valid" with one inline test
per property and relation (the loop over a table of checks it replaces cost a resync of
50k entities a quarter of a second); anything it does not accept gets the full check, which
says what is wrong. Like the mapping's :mod:`ocean.transform.codegen`, the source holds
only names and constants, never text from the blueprint.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

PlainCheck = Callable[[dict[str, Any]], bool]

_EXACT = {
    "string": "type({v}) is str",
    "number": "(type({v}) is int or type({v}) is float)",
    "boolean": "type({v}) is bool",
    "object": "type({v}) is dict",
    "array": "type({v}) is list",
}


def generate_plain_check(
    definitions: Mapping[str, Any],
    checks: Mapping[str, Callable[[Any], str | None]],
    required: tuple[str, ...],
    relations: Mapping[str, tuple[Any, bool, bool]],
) -> PlainCheck:
    """``definitions`` are the schema's properties, ``checks`` their full checks (None when
    a value passes), ``relations`` each relation's (target, many, required)."""
    namespace: dict[str, Any] = {
        "PROPERTIES": frozenset(definitions),
        "RELATIONS": frozenset(relations),
        "string_list": _string_list,
        "plain_meta": _plain_meta,
    }
    lines = [
        "def plainly_valid(body):",
        "    if not plain_meta(body): return False",
        "    p = body.get('properties') or {}",
        "    if type(p) is not dict or not p.keys() <= PROPERTIES: return False",
    ]
    for name in required:
        if name not in definitions:  # a schema that requires what it does not define
            return lambda _body: False
    for index, name in enumerate(definitions):
        namespace[f"n{index}"] = name
        lines.append(f"    v = p.get(n{index})")
        if name in required:
            lines.append("    if v is None: return False")
        test = _property_test(definitions[name], f"c{index}")
        namespace[f"c{index}"] = checks[name]
        lines.append(f"    if v is not None and not {test}: return False")
    lines += [
        "    r = body.get('relations') or {}",
        "    if type(r) is not dict or not r.keys() <= RELATIONS: return False",
    ]
    for index, (name, (_, many, needed)) in enumerate(relations.items()):
        namespace[f"r{index}"] = name
        lines.append(f"    v = r.get(r{index})")
        if needed:
            lines.append("    if v is None: return False")
        test = "string_list(v)" if many else "type(v) is str"
        lines.append(f"    if v is not None and not {test}: return False")
    lines.append("    return True")
    exec(compile("\n".join(lines) + "\n", "<ocean blueprint>", "exec"), namespace)
    check: PlainCheck = namespace["plainly_valid"]
    return check


def _property_test(definition: Any, check: str) -> str:
    """The inline test for one property's value ``v``: its exact JSON type when that is
    all the definition asks, else its full check."""
    if not isinstance(definition, dict):
        return "True"
    exact = _EXACT.get(definition.get("type", "string"))
    if exact is None or {"enum", "format", "items"} & definition.keys():
        return f"{check}(v) is None"
    return exact.format(v="v")


def _string_list(value: Any) -> bool:
    return type(value) is list and all(type(item) is str for item in value)


def _plain_meta(body: dict[str, Any]) -> bool:
    title, icon, team = body.get("title"), body.get("icon"), body.get("team")
    return (
        (title is None or type(title) is str)
        and (icon is None or type(icon) is str)
        and (team is None or type(team) is str or _string_list(team))
    )
