"""A blueprint's quick yes, generated as one Python function (pure).

:class:`~ocean.store.entity_rules.EntityRules` checks every written body. Almost every
body is fine, so a generated function first answers "certainly valid" with one inline test
per property and relation (the loop over a table of checks it replaces cost a resync of
50k entities a quarter of a second), and in the same pass takes the body out of the entity
and collects its relation edges; anything it does not accept gets the full check, which
says what is wrong. Like the mapping's :mod:`ocean.transform.codegen`, the source holds
only names and constants, never text from the blueprint.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from ocean.store.validation import IS_IDENTIFIER, LIMITS

PlainEntity = tuple[dict[str, Any], list[tuple[str, str, str]]]
"""A body (the entity's title, icon, team, properties and relations as sent) and its
relation edges: (relation, target blueprint, target identifier) each."""
PlainCheck = Callable[[Mapping[str, Any]], PlainEntity | None]
_META = ("title", "icon")
EMAIL = re.compile(r"[^@\s]+@[^@\s]+").fullmatch
"""The email format's test (:mod:`ocean.store.entity_rules` checks with it too)."""
_FORMATS = {"url": "'://' in v", "email": "EMAIL(v) is not None"}
"""Formats tested inline (as :mod:`ocean.store.entity_rules` checks them); others call the
full check."""
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
    a value passes), ``relations`` each relation's (target, many, required). The function
    takes an entity (or a body) and gives its body and edges, or None when the full check
    must look at it."""
    for name in required:
        if name not in definitions:  # a schema that requires what it does not define
            return lambda _entity: None
    namespace: dict[str, Any] = {
        "PROPERTIES": frozenset(definitions),
        "RELATIONS": frozenset(relations),
        "string_list": _string_list,
        "identifiers": (known := _Identifiers()).many,
        "identifier": known.one,
        "VALID": known.valid,
        "EMAIL": EMAIL,
    }
    lines = ["def plain(e):", "    b = {}"]
    for name in _META:
        lines += [
            f"    if {name!r} in e:",
            f"        v = b[{name!r}] = e[{name!r}]",
            "        if v is not None and type(v) is not str: return None",
        ]
    lines += [
        "    if 'team' in e:",
        "        v = b['team'] = e['team']",
        "        if v is not None and type(v) is not str and not string_list(v): return None",
    ]
    lines += _section("properties", "p", "PROPERTIES")
    lines += _property_lines(definitions, checks, required, namespace)
    lines += ["    edges = []", *_section("relations", "r", "RELATIONS")]
    lines += _relation_lines(relations, namespace)
    lines.append("    return b, edges")
    exec(compile("\n".join(lines) + "\n", "<ocean blueprint>", "exec"), namespace)
    check: PlainCheck = namespace["plain"]
    return check


def _section(field: str, variable: str, allowed: str) -> list[str]:
    """Copy ``field`` into the body (when sent) and check it is a dict of allowed names;
    a null one counts as empty, as in the full check (which names anything but an object)."""
    return [
        f"    if {field!r} in e: {variable} = b[{field!r}] = e[{field!r}]",
        f"    else: {variable} = None",
        f"    {variable} = {{}} if {variable} is None else {variable}",
        f"    if type({variable}) is not dict or not {variable}.keys() <= {allowed}: return None",
    ]


def _property_lines(
    definitions: Mapping[str, Any],
    checks: Mapping[str, Callable[[Any], str | None]],
    required: tuple[str, ...],
    namespace: dict[str, Any],
) -> list[str]:
    lines = []
    for index, name in enumerate(definitions):
        namespace[f"n{index}"], namespace[f"c{index}"] = name, checks[name]
        lines.append(f"    v = p.get(n{index})")
        if name in required:
            lines.append("    if v is None: return None")
        test = _property_test(definitions[name], index, namespace)
        lines.append(f"    if v is not None and not {test}: return None")
    return lines


def _relation_lines(
    relations: Mapping[str, tuple[Any, bool, bool]], namespace: dict[str, Any]
) -> list[str]:
    lines = []
    for index, (name, (target, many, needed)) in enumerate(relations.items()):
        namespace[f"r{index}"], namespace[f"t{index}"] = name, target
        lines.append(f"    v = r.get(r{index})")
        lines.append("    if v is None:" + (" return None" if needed else " pass"))
        if many:
            lines.append("    elif not identifiers(v): return None")
            if target:
                lines.append(f"    else: edges += [(r{index}, t{index}, x) for x in v]")
        else:
            lines.append(
                "    elif type(v) is not str or (v not in VALID and not identifier(v)): return None"
            )
            if target:
                lines.append(f"    else: edges.append((r{index}, t{index}, v))")
    return lines


def _property_test(definition: Any, index: int, namespace: dict[str, Any]) -> str:
    """The inline test for property ``index``'s value ``v``: its exact JSON type, and for a
    string its enum of strings or URL format, where that is all the definition asks; else
    (array items, limits such as ``maxLength``) its full check (``c{index}``)."""
    if not isinstance(definition, dict):
        return "True"
    kind = definition.get("type", "string")
    exact = _EXACT.get(kind)
    if exact is None or "items" in definition or not LIMITS.isdisjoint(definition):
        return f"c{index}(v) is None"
    tests = [exact.format(v="v")]
    enum, fmt = definition.get("enum"), definition.get("format")
    if enum is not None:
        if kind != "string" or not (isinstance(enum, list) and all(type(e) is str for e in enum)):
            return f"c{index}(v) is None"
        namespace[f"e{index}"] = frozenset(enum)
        tests.append(f"v in e{index}")
    if fmt is not None and kind == "string":
        if fmt not in _FORMATS:
            return f"c{index}(v) is None"
        tests.append(_FORMATS[fmt])
    return "(" + " and ".join(tests) + ")"


def _string_list(value: Any) -> bool:
    return type(value) is list and all(type(item) is str for item in value)


_REMEMBERED = 50_000
"""Relation values a check remembers as valid identifiers (a sync names the same targets
over and over, and a set's answer costs a fifth of the pattern's), of at most
:data:`_LONGEST` characters."""
_LONGEST = 200


class _Identifiers:
    """The relation-value checks of one generated check, with what it found valid."""

    def __init__(self) -> None:
        self.valid: set[str] = set()

    def one(self, value: str) -> bool:
        """Whether a relation's value is a valid entity identifier, remembered if it is."""
        if IS_IDENTIFIER(value) is None:
            return False
        if len(value) <= _LONGEST:
            if len(self.valid) >= _REMEMBERED:
                self.valid.clear()
            self.valid.add(value)
        return True

    def many(self, value: Any) -> bool:
        """Whether a many relation's value is a list of valid entity identifiers."""
        if type(value) is not list:
            return False
        valid = self.valid
        try:
            if valid.issuperset(value):  # each a string remembered (the items hashed in C)
                return True
        except TypeError:  # an item that cannot be hashed, such as an object
            return False
        return all(type(item) is str and (item in valid or self.one(item)) for item in value)
