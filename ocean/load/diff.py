"""Pure change detection: whether writing a mapped entity would change what is stored.

Stores call it inside their write transaction (see ``ocean.store.writes``)."""

from __future__ import annotations

from typing import Any

from ocean.transform.values import json_equal
from ocean.types import Entity

_COMPARED = ("title", "icon", "team", "properties", "relations")


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
