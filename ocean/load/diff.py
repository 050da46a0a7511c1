"""Pure change detection: which mapped entities are new, changed or unchanged."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ocean.transform.values import json_equal
from ocean.types import Entity

_COMPARED = ("title", "icon", "team", "properties", "relations")


@dataclass
class EntityDiff:
    created: list[Entity] = field(default_factory=list)
    updated: list[Entity] = field(default_factory=list)
    unchanged: list[Entity] = field(default_factory=list)


def diff_entities(desired: list[Entity], stored: dict[str, Entity]) -> EntityDiff:
    """Split ``desired`` by what the catalog holds (``stored``, keyed by identifier).

    Only fields the mapping produced are compared; a property or relation that is null
    in the mapping and absent in the catalog counts as equal. Unlike the original, a
    changed ``icon`` is an update too.
    """
    result = EntityDiff()
    for entity in desired:
        current = stored.get(entity["identifier"])
        if current is None:
            result.created.append(entity)
        elif is_unchanged(entity, current):
            result.unchanged.append(entity)
        else:
            result.updated.append(entity)
    return result


def is_unchanged(entity: Entity, current: Entity) -> bool:
    """True when writing ``entity`` over ``current`` would change nothing."""
    return all(
        _field_unchanged(name, entity[name], current.get(name))  # type: ignore[literal-required]
        for name in _COMPARED
        if name in entity
    )


def _field_unchanged(name: str, wanted: Any, have: Any) -> bool:
    if name in ("properties", "relations"):
        have = have or {}
        return all(json_equal(value, have.get(key)) for key, value in wanted.items())
    if name == "team":
        return json_equal(_team_set(wanted), _team_set(have))
    return json_equal(wanted, have)


def _team_set(team: Any) -> Any:
    if team is None or team == []:
        return []
    if isinstance(team, list) and all(isinstance(name, str) for name in team):
        return sorted(team)
    return team
