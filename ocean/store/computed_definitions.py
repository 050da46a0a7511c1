"""Port's rules for a blueprint's calculation, mirror and aggregation properties (pure):
what would otherwise be null on every entity, without a word, is refused with the blueprint.

A calculation needs JQ that compiles (as the catalog runs it) and a ``type``; a mirror a
path of one relation or more and the property read at its end, its first relation one
of the blueprint's own (the later ones belong to other blueprints, which may change). A
computed property may not take the name of a stored one, nor of another computed one:
which of the two a read showed, and a search matched, would be a guess. Aggregations
are checked by :mod:`ocean.store.aggregation_definitions`.
"""

from __future__ import annotations

from typing import Any

from ocean.store.aggregation_definitions import aggregation_problems

_KINDS = {
    "calculationProperties": "calculation",
    "mirrorProperties": "mirror",
    "aggregationProperties": "aggregation",
}


def computed_problems(
    blueprint: dict[str, Any], stored: dict[str, Any], relations: dict[str, Any], types: Any
) -> list[str]:
    """Everything wrong with ``blueprint``'s computed properties; ``stored``
    and ``relations`` are its schema's properties and its relations, ``types`` the
    property types."""
    problems: list[str] = []
    taken = set(stored)
    for field, kind in _KINDS.items():
        definitions = blueprint.get(field)
        if not isinstance(definitions, dict):
            continue
        for name, definition in definitions.items():
            if name in taken:
                problems.append(
                    f"{kind} property {name!r} has the name of another property of the blueprint"
                )
            taken.add(name)
            if kind == "calculation":
                problems += _calculation_problems(name, definition, types)
            elif kind == "mirror":
                problems += _mirror_problems(name, definition, relations)
            else:
                problems += aggregation_problems(name, definition)
    return problems


def _calculation_problems(name: str, definition: Any, types: Any) -> list[str]:
    if not isinstance(definition, dict) or not isinstance(definition.get("calculation"), str):
        return [f"calculation property {name!r} needs a calculation (JQ text)"]
    problems = []
    if definition.get("type") not in types:
        problems.append(
            f"calculation property {name!r} needs a type among {sorted(types)}, "
            f"got {definition.get('type')!r:.60}"
        )
    # imported on use: the catalog's child process checks blueprints without jq loaded
    from ocean.transform.jq import CompileError, Expression

    try:
        Expression(definition["calculation"], None)
    except CompileError as error:
        problems.append(f"calculation property {name!r} is not valid JQ: {error}")
    return problems


def _mirror_problems(name: str, definition: Any, relations: dict[str, Any]) -> list[str]:
    path = definition.get("path") if isinstance(definition, dict) else None
    if not isinstance(path, str) or len(path.split(".")) < 2 or "" in path.split("."):
        return [
            f"mirror property {name!r} needs a path of relations and the property at its "
            f'end ("relation.property", "relation.$title"), got {path!r:.60}'
        ]
    first = path.split(".")[0]
    if first not in relations:
        return [
            f"mirror property {name!r}: its path starts with {first!r}, which is not a "
            f"relation of the blueprint ({sorted(relations)})"
        ]
    return []
