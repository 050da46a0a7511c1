"""An entity's rules under its blueprint, compiled once per blueprint (pure).

Every problem names the property or relation, what was expected and what came in.
Choices where Port's behaviour is not documented: properties and relations the blueprint
does not define are dropped, not refused (the original's own integrations map such keys:
GitHub's ``prNumber``, the fake integration's ``name``, and sync into Port); a null
property or relation clears it; relations default to ``required: false``
and ``many: false`` when a blueprint omits them.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
from collections.abc import Callable, Iterable
from typing import Any, cast

from ocean.store.plain_check import EMAIL, generate_plain_check
from ocean.store.schema_limits import limit_checks
from ocean.store.validation import PROPERTY_TYPES, identifier_problem

Check = Callable[[Any], str | None]
Edge = tuple[str, str, str]
"""(relation, target blueprint, target identifier)."""


def rules_by_blueprint(blueprints: Iterable[dict[str, Any]]) -> dict[str, EntityRules]:
    """The rules of each blueprint definition, by its identifier."""
    return {blueprint["identifier"]: EntityRules(blueprint) for blueprint in blueprints}


class EntityRules:
    """What a blueprint demands of its entities' bodies."""

    def __init__(self, blueprint: dict[str, Any]) -> None:
        schema = blueprint.get("schema") or {}
        definitions = schema.get("properties") or {}
        self._checks = {
            name: _property_check(definition) for name, definition in definitions.items()
        }
        self._required = tuple(schema.get("required") or ())
        self._computed: dict[str, str] = {
            name: kind
            for field, kind in (
                ("calculationProperties", "calculation"),
                ("mirrorProperties", "mirror"),
                ("aggregationProperties", "aggregation"),
            )
            if isinstance(blueprint.get(field), dict)
            for name in blueprint[field]
        }
        self._relations = {
            name: (
                definition.get("target"),
                bool(definition.get("many")),
                bool(definition.get("required")),
            )
            for name, definition in (blueprint.get("relations") or {}).items()
            if isinstance(definition, dict)
        }
        self.targets = frozenset(str(target) for target, _, _ in self._relations.values())
        """The blueprints its relations point at."""
        self.plain = generate_plain_check(
            definitions, self._checks, self._required, self._relations
        )
        """The usual entity's (or body's) body and edges, certainly valid; None: anything
        else, which :meth:`problems` and :meth:`edges` take."""

    def defined(self, body: dict[str, Any], *, computed: bool = False) -> dict[str, Any]:
        """``body`` without the properties and relations the blueprint does not define (a
        body stored before a blueprint change removed them, or one sent with keys the
        blueprint lacks: dropped, as Port takes them); ``body`` itself when it has none
        such (a check of two key sets, mostly). ``computed``: a property the blueprint
        computes is kept (for :meth:`problems` to refuse)."""
        properties: Any = body.get("properties")
        relations: Any = body.get("relations")
        names = self._checks.keys() | self._computed.keys() if computed else self._checks.keys()
        odd_properties = type(properties) is dict and not properties.keys() <= names
        odd_relations = type(relations) is dict and not relations.keys() <= self._relations.keys()
        if not (odd_properties or odd_relations):
            return body
        kept = dict(body)
        if odd_properties:
            kept["properties"] = {k: v for k, v in properties.items() if k in names}
        if odd_relations:
            kept["relations"] = {k: v for k, v in relations.items() if k in self._relations}
        return kept

    def undefined(self, body: dict[str, Any]) -> list[str]:
        """The paths of ``body``'s properties and relations the blueprint does not define
        (``properties.prNumber``): :meth:`defined` drops them."""
        properties, relations = _section(body, "properties"), _section(body, "relations")
        names = self._checks.keys() | self._computed.keys()
        return [f"properties.{k}" for k in properties or {} if k not in names] + [
            f"relations.{k}" for k in relations or {} if k not in self._relations
        ]

    def checked(self, body: dict[str, Any]) -> tuple[list[str], list[Edge]]:
        """Everything wrong with a body, and its edges (one generated pass when fine)."""
        plain = self.plain(body)
        if plain is not None:
            return [], plain[1]
        return self.problems(body), self.edges(body)

    def problems(self, body: dict[str, Any]) -> list[str]:
        """Everything wrong with an entity body (title, team, properties, relations)."""
        if self.plain(body) is not None:
            return []
        problems = _meta_problems(body)
        properties, relations = _section(body, "properties"), _section(body, "relations")
        if properties is None or relations is None:
            return problems  # named by _meta_problems: nothing inside can be checked
        for name in self._required:
            if properties.get(name) is None:
                problems.append(
                    f"property {name!r} is required but {'missing' if name not in properties else 'null'}"
                )
        for name, value in properties.items():
            check = self._checks.get(name)
            if check is None and name in self._computed:
                problems.append(
                    f"property {name!r} is {_article(self._computed[name])} property: the catalog "
                    "computes it on read; leave it out of the body"
                )
            elif check is None:
                continue  # not defined by the blueprint: dropped (see defined), as Port does
            elif value is not None and (problem := check(value)) is not None:
                problems.append(f"property {name!r}: {problem}")
        return problems + self._relation_problems(relations)

    def _relation_problems(self, relations: dict[str, Any]) -> list[str]:
        problems = [
            f"relation {name!r} is required but not set"
            for name, (_, _, required) in self._relations.items()
            if required and relations.get(name) is None
        ]
        for name, value in relations.items():
            definition = self._relations.get(name)
            if definition is None or value is None:  # (not defined: dropped, see defined)
                continue
            elif definition[1] and not (
                isinstance(value, list) and all(isinstance(v, str) for v in value)
            ):
                problems.append(
                    f"relation {name!r} is many: expected a list of identifiers, got {value!r:.60}"
                )
            elif not definition[1] and not isinstance(value, str):
                problems.append(
                    f"relation {name!r} is single: expected one identifier, got {value!r:.60}"
                )
            else:
                problems += _identifier_problems(name, value)
        return problems

    def edges(self, body: dict[str, Any]) -> list[Edge]:
        """Every relation value of a body, with the blueprint it targets."""
        edges = []
        for name, value in (_section(body, "relations") or {}).items():
            target = self._relations.get(name, (None,))[0]
            if not target:
                continue
            for identifier in value if isinstance(value, list) else [value]:
                if isinstance(identifier, str):
                    edges.append((name, target, identifier))
        return edges


def _identifier_problems(relation: str, value: str | list[str]) -> list[str]:
    """Why the entities a relation names cannot exist: each is named by an identifier (and
    a missing one is made as a placeholder of that identifier)."""
    return [
        f"relation {relation!r}: {problem}"
        for identifier in (value if isinstance(value, list) else [value])
        if (problem := identifier_problem(identifier)) is not None
    ]


def _section(body: dict[str, Any], field: str) -> dict[str, Any] | None:
    """A body's properties or relations: empty when null or absent, None when not an object."""
    value = body.get(field)
    if value is None:
        return {}
    return value if isinstance(value, dict) else None


def _meta_problems(body: dict[str, Any]) -> list[str]:
    problems = [
        f"{field} must be a string, got {type(body[field]).__name__}"
        for field in ("title", "icon")
        if body.get(field) is not None and not isinstance(body[field], str)
    ]
    problems += [
        f"{field} must be an object of name to value, got {type(body[field]).__name__} "
        f"{body[field]!r:.60}"
        for field in ("properties", "relations")
        if _section(body, field) is None
    ]
    team = body.get("team")
    if (
        team is not None
        and not isinstance(team, str)
        and not (isinstance(team, list) and all(isinstance(t, str) for t in team))
    ):
        problems.append(f"team must be a string or a list of strings, got {team!r:.60}")
    return problems


def _property_check(definition: Any) -> Check:
    """One property's JSON-Schema checks (type, enum, format, limits, array items) as a
    function."""
    if not isinstance(definition, dict):
        return lambda _value: None
    expected = definition.get("type", "string")
    python_type = PROPERTY_TYPES.get(expected, (object,))
    enum = definition.get("enum")
    fmt = _FORMAT_CHECKS.get(definition.get("format", "")) if expected == "string" else None
    items = (
        _property_check(definition["items"])
        if expected == "array" and isinstance(definition.get("items"), dict)
        else None
    )
    limits = limit_checks(definition, expected)

    def check(value: Any) -> str | None:
        if not isinstance(value, python_type) or (
            isinstance(value, bool) and expected != "boolean"
        ):
            return f"expected {expected}, got {_json_type(value)} {value!r:.60}"
        if enum is not None and value not in enum:
            return f"{value!r:.60} is not one of {enum}"
        if fmt is not None and not fmt(cast(str, value)):
            return f"{value!r:.60} is not a valid {definition['format']}"
        for limit in limits:
            if (problem := limit(value)) is not None:
                return problem
        if items is not None:
            elements = cast(list[Any], value)
            return next((p for item in elements if (p := items(item)) is not None), None)
        return None

    return check


def _is_datetime(value: str) -> bool:
    try:
        dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return False
    return True


def _is_ip(value: str, version: int) -> bool:
    try:
        return ipaddress.ip_address(value).version == version
    except ValueError:
        return False


_FORMAT_CHECKS: dict[str, Callable[[str], bool]] = {
    "url": lambda v: "://" in v,
    "email": lambda v: EMAIL(v) is not None,
    "date-time": _is_datetime,
    "ipv4": lambda v: _is_ip(v, 4),
    "ipv6": lambda v: _is_ip(v, 6),
}


def _json_type(value: Any) -> str:
    for name, python_type in PROPERTY_TYPES.items():
        if isinstance(value, python_type) and not (isinstance(value, bool) and name != "boolean"):
            return name
    return "null" if value is None else type(value).__name__


def _article(kind: str) -> str:
    """``a calculation``, ``an aggregation``."""
    return f"{'an' if kind[0] in 'aeiou' else 'a'} {kind}"
