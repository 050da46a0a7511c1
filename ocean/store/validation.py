"""Port's data-model rules for blueprints and entities (pure functions).

Every problem is a sentence naming the entity or blueprint, the field, what was expected
and what came in. Choices where Port's behaviour is not documented: unknown properties and
relations are rejected; a null property or relation clears it; relations default to
``required: false`` and ``many: false`` when a blueprint omits them.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import re
from collections.abc import Callable
from typing import Any, cast

PROPERTY_TYPES: dict[str, type | tuple[type, ...]] = {
    "string": str,
    "number": (int, float),
    "boolean": bool,
    "object": dict,
    "array": list,
}
_PROPERTY_NAME = re.compile(r"^[A-Za-z0-9@_=\-]+$")
_IDENTIFIER_CHARS = set("@_.+:\\/='-")
_BLUEPRINT_CHARS = set("@_.+:\\/-")


def identifier_problem(
    identifier: Any, *, limit: int = 1000, extra: set[str] = _IDENTIFIER_CHARS
) -> str | None:
    """Why ``identifier`` breaks Port's identifier rules, or None."""
    if not isinstance(identifier, str) or not identifier:
        return f"identifier {identifier!r:.80} must be a non-empty string"
    if len(identifier) > limit:
        return f"identifier {identifier[:40]!r}… is {len(identifier)} characters, over {limit}"
    if identifier in (".", "..") or not all(ch.isalnum() or ch in extra for ch in identifier):
        allowed = "".join(sorted(extra))
        return (
            f"identifier {identifier!r:.80} may hold only letters, digits and {allowed} (no spaces)"
        )
    return None


def blueprint_problems(blueprint: dict[str, Any], known: set[str]) -> list[str]:
    """Everything wrong with one blueprint definition; ``known`` are the existing blueprints."""
    name = blueprint.get("identifier")
    problems = [p for p in [identifier_problem(name, limit=100, extra=_BLUEPRINT_CHARS)] if p]
    title = blueprint.get("title")
    if not isinstance(title, str) or not 1 <= len(title) <= 100:
        problems.append(f"title must be a string of 1 to 100 characters, got {title!r:.40}")
    schema = blueprint.get("schema") or {}
    for prop, definition in (schema.get("properties") or {}).items():
        problems += _property_definition_problems(prop, definition)
    for relation, definition in (blueprint.get("relations") or {}).items():
        problems += _relation_definition_problems(relation, definition, known)
    return [f"blueprint {name!r}: {problem}" for problem in problems]


def _property_definition_problems(name: str, definition: Any) -> list[str]:
    if not _PROPERTY_NAME.match(name) or len(name) > 100:
        return [f"property name {name!r} may hold only letters, digits and @_=- (at most 100)"]
    if not isinstance(definition, dict) or definition.get("type") not in PROPERTY_TYPES:
        got = definition.get("type") if isinstance(definition, dict) else definition
        return [f"property {name!r} needs a type among {sorted(PROPERTY_TYPES)}, got {got!r}"]
    if "enum" in definition and not isinstance(definition["enum"], list):
        return [f"property {name!r}: enum must be a list"]
    return []


def _relation_definition_problems(name: str, definition: Any, known: set[str]) -> list[str]:
    if not isinstance(definition, dict) or not isinstance(definition.get("target"), str):
        return [f"relation {name!r} needs a target blueprint"]
    problems = []
    if definition["target"] not in known:
        problems.append(
            f"relation {name!r} targets blueprint {definition['target']!r}, which does not exist"
        )
    if definition.get("many") and definition.get("required"):
        problems.append(f"relation {name!r} cannot be both many and required")
    return problems


def entity_problems(entity: dict[str, Any], blueprint: dict[str, Any]) -> list[str]:
    """Everything wrong with an entity (as it will be stored) under its blueprint."""
    problems = [p for p in [identifier_problem(entity.get("identifier"))] if p]
    for field in ("title", "icon"):
        if entity.get(field) is not None and not isinstance(entity[field], str):
            problems.append(f"{field} must be a string, got {type(entity[field]).__name__}")
    team = entity.get("team")
    if (
        team is not None
        and not isinstance(team, str)
        and not (isinstance(team, list) and all(isinstance(t, str) for t in team))
    ):
        problems.append(f"team must be a string or a list of strings, got {team!r:.60}")
    problems += _properties_problems(entity.get("properties") or {}, blueprint.get("schema") or {})
    problems += _relations_problems(entity.get("relations") or {}, blueprint.get("relations") or {})
    return problems


def _properties_problems(properties: dict[str, Any], schema: dict[str, Any]) -> list[str]:
    definitions = schema.get("properties") or {}
    problems = [
        f"property {name!r} is required but {'missing' if name not in properties else 'null'}"
        for name in schema.get("required") or []
        if properties.get(name) is None
    ]
    for name, value in properties.items():
        definition = definitions.get(name)
        if definition is None:
            problems.append(
                f"property {name!r} is not in the blueprint's schema ({sorted(definitions)})"
            )
        elif value is not None:
            problems += [f"property {name!r}: {p}" for p in value_problems(value, definition)]
    return problems


def value_problems(value: Any, definition: dict[str, Any]) -> list[str]:
    """JSON-Schema checks Port applies to one property value."""
    expected = definition.get("type", "string")
    python_type = PROPERTY_TYPES.get(expected, (object,))
    if isinstance(value, bool) and expected != "boolean" or not isinstance(value, python_type):
        return [f"expected {expected}, got {_json_type(value)} {value!r:.60}"]
    if "enum" in definition and value not in definition["enum"]:
        return [f"{value!r:.60} is not one of {definition['enum']}"]
    if expected == "string" and definition.get("format"):
        problem = _format_problem(str(value), definition["format"])
        return [problem] if problem else []
    if expected == "array" and isinstance(definition.get("items"), dict):
        items = cast(list[Any], value)
        return [p for item in items for p in value_problems(item, definition["items"])][:3]
    return []


def _format_problem(value: str, fmt: str) -> str | None:
    checks: dict[str, Callable[[str], bool]] = {
        "url": lambda v: "://" in v,
        "email": lambda v: re.fullmatch(r"[^@\s]+@[^@\s]+", v) is not None,
        "date-time": _is_datetime,
        "ipv4": lambda v: _is_ip(v, 4),
        "ipv6": lambda v: _is_ip(v, 6),
    }
    check = checks.get(fmt)
    return None if check is None or check(value) else f"{value!r:.60} is not a valid {fmt}"


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


def _relations_problems(relations: dict[str, Any], definitions: dict[str, Any]) -> list[str]:
    problems = [
        f"relation {name!r} is required but not set"
        for name, definition in definitions.items()
        if isinstance(definition, dict)
        and definition.get("required")
        and relations.get(name) is None
    ]
    for name, value in relations.items():
        definition = definitions.get(name)
        if definition is None:
            problems.append(
                f"relation {name!r} is not defined on the blueprint ({sorted(definitions)})"
            )
        elif value is not None:
            problems += _relation_value_problems(name, value, bool(definition.get("many")))
    return problems


def _relation_value_problems(name: str, value: Any, many: bool) -> list[str]:
    if many and not (isinstance(value, list) and all(isinstance(v, str) for v in value)):
        return [f"relation {name!r} is many: expected a list of identifiers, got {value!r:.60}"]
    if not many and not isinstance(value, str):
        return [f"relation {name!r} is single: expected one identifier, got {value!r:.60}"]
    return []


def relation_targets(
    entity: dict[str, Any], blueprint: dict[str, Any]
) -> list[tuple[str, str, str]]:
    """(relation, target blueprint, target identifier) for every relation value of an entity."""
    definitions = blueprint.get("relations") or {}
    edges = []
    for name, value in (entity.get("relations") or {}).items():
        target = (definitions.get(name) or {}).get("target")
        for identifier in value if isinstance(value, list) else [value]:
            if target and isinstance(identifier, str):
                edges.append((name, target, identifier))
    return edges


def _json_type(value: Any) -> str:
    for name, python_type in PROPERTY_TYPES.items():
        if isinstance(value, python_type) and not (isinstance(value, bool) and name != "boolean"):
            return name
    return "null" if value is None else type(value).__name__
