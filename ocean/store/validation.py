"""Port's rules for identifiers and blueprint definitions (pure functions).

Every problem is a sentence naming the blueprint, the field, what was expected and what
came in. Entities are checked by :mod:`ocean.store.entity_rules`.
"""

from __future__ import annotations

import re
from typing import Any, TypeGuard

from ocean.errors import ConflictError, StoreError
from ocean.store.computed_definitions import computed_problems

PROPERTY_TYPES: dict[str, type | tuple[type, ...]] = {
    "string": str,
    "number": (int, float),
    "boolean": bool,
    "object": dict,
    "array": list,
}
_PROPERTY_NAME = re.compile(r"^[A-Za-z0-9@_=\-]+$")


_ENTITY_IDENTIFIER = re.compile(r"(?!\.{1,2}$)[\w@.+:\\/='-]+")
_BLUEPRINT_IDENTIFIER = re.compile(r"(?!\.{1,2}$)[\w@.+:\\/-]+")
IS_IDENTIFIER = re.compile(r"(?!\.{1,2}$)[\w@.+:\\/='-]{1,1000}").fullmatch
"""A match when a string is a valid entity identifier (:func:`identifier_problem` says
why not): one call, for the generated checks of relation values."""
LENGTHS = ("minLength", "maxLength", "minItems", "maxItems")
BOUNDS = ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum")
LIMITS = frozenset((*LENGTHS, *BOUNDS, "pattern", "multipleOf", "uniqueItems"))
"""The JSON-Schema keywords that limit a property's value beyond its type, enum and format."""


def identifier_problem(
    identifier: Any, *, limit: int = 1000, blueprint: bool = False
) -> str | None:
    """Why ``identifier`` breaks Port's identifier rules, or None."""
    if not isinstance(identifier, str) or not identifier:
        return f"identifier {identifier!r:.80} must be a non-empty string"
    if len(identifier) > limit:
        return f"identifier {identifier[:40]!r}… is {len(identifier)} characters, over {limit}"
    pattern = _BLUEPRINT_IDENTIFIER if blueprint else _ENTITY_IDENTIFIER
    if pattern.fullmatch(identifier) is None:
        allowed = "@_.+:\\/-" if blueprint else "@_.+:\\/='-"
        return (
            f"identifier {identifier!r:.80} may hold only letters, digits and {allowed} (no spaces)"
        )
    return None


def blueprint_problems(blueprint: dict[str, Any], known: set[str]) -> list[str]:
    """Everything wrong with one blueprint definition; ``known`` are the existing blueprints."""
    name = blueprint.get("identifier")
    problems = [p for p in [identifier_problem(name, limit=100, blueprint=True)] if p]
    title = blueprint.get("title")
    if not isinstance(title, str) or not 1 <= len(title) <= 100:
        problems.append(f"title must be a string of 1 to 100 characters, got {title!r:.40}")
    schema = _mapping(blueprint, "schema", problems)
    for prop, definition in _mapping(schema, "properties", problems, "schema.").items():
        problems += _property_definition_problems(prop, definition)
    required = schema.get("required")
    if required is not None and not (
        isinstance(required, list) and all(isinstance(name, str) for name in required)
    ):
        problems.append(f"schema.required must be a list of property names, got {required!r:.60}")
    relations = _mapping(blueprint, "relations", problems)
    for relation, definition in relations.items():
        problems += _relation_definition_problems(relation, definition, known)
    stored: dict[str, Any] = schema.get("properties") or {}
    for field in ("calculationProperties", "mirrorProperties", "aggregationProperties"):
        _mapping(blueprint, field, problems)
    problems += computed_problems(
        blueprint, stored if isinstance(stored, dict) else {}, relations, PROPERTY_TYPES
    )
    return [f"blueprint {name!r:.80}: {problem}" for problem in problems]


def _mapping(
    parent: dict[str, Any], field: str, problems: list[str], where: str = ""
) -> dict[str, Any]:
    """An object field of a blueprint (empty when null or absent); anything else is a problem."""
    value = parent.get(field)
    if value is None:
        return {}
    if not isinstance(value, dict):
        problems.append(
            f"{where}{field} must be an object of name to definition, got "
            f"{type(value).__name__} {value!r:.40}"
        )
        return {}
    return value


def _property_definition_problems(name: str, definition: Any) -> list[str]:
    if not _PROPERTY_NAME.match(name) or len(name) > 100:
        return [f"property name {name!r} may hold only letters, digits and @_=- (at most 100)"]
    if not isinstance(definition, dict) or not _known_type(definition.get("type")):
        got = definition.get("type") if isinstance(definition, dict) else definition
        return [f"property {name!r} needs a type among {sorted(PROPERTY_TYPES)}, got {got!r:.60}"]
    problems = _schema_problems(f"property {name!r}", definition)
    items = definition.get("items")
    if items is not None:
        if not isinstance(items, dict) or not _known_type(items.get("type", "string")):
            got = items.get("type") if isinstance(items, dict) else items
            return [f"property {name!r}: items needs a type among {sorted(PROPERTY_TYPES)}, got {got!r:.60}"]  # fmt: skip
        problems += _schema_problems(f"property {name!r}: items", items)
    return problems


def _known_type(kind: Any) -> bool:
    return isinstance(kind, str) and kind in PROPERTY_TYPES


def _schema_problems(where: str, definition: dict[str, Any]) -> list[str]:
    """The enum, format and limits of a property (or of its array's items), where wrong."""
    problems = []
    if "enum" in definition and not isinstance(definition["enum"], list):
        problems.append(f"{where}: enum must be a list, got {definition['enum']!r:.60}")
    for name in ("format", "pattern"):
        if name in definition and not isinstance(definition[name], str):
            problems.append(f"{where}: {name} must be a string, got {definition[name]!r:.60}")
    for name in LENGTHS:
        value = definition.get(name)
        if name in definition and not (is_limit(value) and value >= 0 and value % 1 == 0):
            problems.append(f"{where}: {name} must be a whole number >= 0, got {value!r:.60}")
    if not isinstance(definition.get("uniqueItems", False), bool):
        problems.append(f"{where}: uniqueItems must be true or false")
    for name in (*BOUNDS, "multipleOf"):
        value = definition.get(name)
        draft4 = name.startswith("exclusive") and isinstance(value, bool)  # (minimum's flag)
        if name in definition and not draft4 and not is_limit(value, name == "multipleOf"):
            problems.append(f"{where}: {name} must be a number, got {value!r:.60}")
    return problems


def is_limit(value: Any, positive: bool = False) -> TypeGuard[int | float]:
    """Whether ``value`` is a number (not a boolean) a numeric limit may be."""
    if isinstance(value, bool) or not isinstance(value, int | float) or value != value:
        return False
    return value > 0 or not positive


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


def new_blueprints(blueprints: list[dict[str, Any]], existing: set[str]) -> list[dict[str, Any]]:
    """The blueprints not stored yet, all validated; raises listing every problem."""
    wrong = [bp for bp in blueprints if not isinstance(bp, dict)]
    if wrong:
        raise StoreError(f"a blueprint must be an object, got {wrong[0]!r:.60}")
    new = [
        bp
        for bp in blueprints
        if not isinstance(bp.get("identifier"), str) or bp["identifier"] not in existing
    ]
    known = existing | {str(bp.get("identifier")) for bp in new}
    problems = [p for bp in new for p in blueprint_problems(bp, known)]
    if problems:
        raise StoreError("blueprints rejected:\n  - " + "\n  - ".join(problems))
    return new


def checked_update(
    current: dict[str, Any], patch: dict[str, Any], known: set[str]
) -> dict[str, Any]:
    """A blueprint with ``patch``'s top-level keys merged in, validated; raises listing problems."""
    updated = {**current, **patch, "identifier": current["identifier"]}
    had = set(blueprint_problems(current, known))  # (stored under older rules: kept)
    problems = [problem for problem in blueprint_problems(updated, known) if problem not in had]
    if problems:
        raise StoreError("blueprint update rejected:\n  - " + "\n  - ".join(problems))
    return updated


def as_given(patch: dict[str, Any], current: dict[str, Any]) -> dict[str, Any]:
    """The change of a plain update: ``patch`` whatever the blueprint holds (partial it
    for :meth:`~ocean.store.base.Store.change_blueprint`)."""
    return patch


def dangling_relations(blueprint: str, missing: list[tuple[str, str]]) -> ConflictError:
    """The error of a blueprint change after which its entities would relate to entities
    that do not exist (a relation now pointing at another blueprint, say)."""
    shown = ", ".join(f"{bp} {identifier!r}" for bp, identifier in missing[:5])
    more = f" and {len(missing) - 5} more" if len(missing) > 5 else ""
    return ConflictError(
        f"blueprint {blueprint!r}: with these relations its entities would relate to "
        f"entities that do not exist ({shown}{more}); create those first, or change the "
        "entities' relations before the blueprint's"
    )
