"""What a blueprint change that removes properties or relations does to its stored entities
(pure; each backend runs it in the change's transaction): as in Port, the removed data
leaves every body, so that the entities stay writable (a merge would otherwise carry the
removed key into a body the blueprint refuses) and reads no longer serve it. The edges of
a removed relation are made again by the change (its relations differ).

Only bodies whose text holds a removed name are read (a quick superset, checked by the
backend's SQL); each is stripped of every key its blueprint no longer defines
(:meth:`~ocean.store.entity_rules.EntityRules.defined`).
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from ocean.store.entity_rules import EntityRules
from ocean.store.writes import dumps, loads

CHUNK = 2000
"""Bodies read per statement, in key order."""


@dataclass(frozen=True)
class Removal:
    """How a backend strips a blueprint change's removed names from its entities' bodies:
    the bodies whose text holds one of ``needles`` (every body when None) are read a
    :data:`CHUNK` at a time, and :func:`stripped` by ``rules``; each body that changes gets
    ``version`` (a page record naming it no longer holds) and keeps its ``updated_at`` (a
    resync's stale check reads it as written by its writer, when it was)."""

    rules: EntityRules
    needles: list[str] | None
    version: int


def removal(current: dict[str, Any], updated: dict[str, Any]) -> Removal | None:
    """What to take out of the bodies when ``current`` becomes ``updated``; None (nothing)
    when ``updated`` still defines every property and relation ``current`` does."""
    names = removed_names(current, updated)
    if not names:
        return None
    return Removal(EntityRules(updated), needles(names), secrets.randbits(63))


def removed_names(current: dict[str, Any], updated: dict[str, Any]) -> list[str]:
    """The properties and relations ``current`` defines and ``updated`` does not (mostly
    none: a change seldom removes one, and an integration's start patches its blueprints)."""
    removed: set[str] = set()
    for before, after in (
        (_properties(current), _properties(updated)),
        (_mapping(current, "relations"), _mapping(updated, "relations")),
    ):
        removed |= before.keys() - after.keys()
    return sorted(removed)


def _properties(blueprint: dict[str, Any]) -> dict[str, Any]:
    return _mapping(_mapping(blueprint, "schema"), "properties")


def _mapping(parent: dict[str, Any], field: str) -> dict[str, Any]:
    value = parent.get(field)
    return value if isinstance(value, dict) else {}


def needles(names: list[str]) -> list[str] | None:
    """Texts one of which a body's JSON holds when it may hold one of ``names`` as a key:
    the names themselves; None (read every body) when a name is one JSON escapes."""
    if any(not name.isprintable() or '"' in name or "\\" in name for name in names):
        return None
    return names


def stripped(rows: Iterable[tuple[str, str]], rules: EntityRules) -> list[tuple[str, str]]:
    """The (identifier, body text) of those ``rows`` whose body holds a key ``rules`` do
    not define, each without it."""
    changed = []
    for identifier, text in rows:
        body = loads(text)
        kept = rules.defined(body) if type(body) is dict else body
        if kept is not body:
            changed.append((identifier, dumps(kept)))
    return changed
