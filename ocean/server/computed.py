"""Calculation, mirror and aggregation properties, computed on read as Port computes them.

A blueprint's ``mirrorProperties`` (``{name: {path: "rel1.rel2.prop"}}``) follow its
relations to the entities at the end of the path and read a property there (or a
meta-property: ``$identifier``, ``$title``, ``$team``, ``$icon``, ``$createdAt``,
``$updatedAt``, ``$blueprint``); through a many-relation the value is the list of what
every related entity holds, and a missing relation gives null; a property the related
entity computes itself (a calculation or mirror of its blueprint) is computed there first,
:data:`DEPTH` hops of such properties at most (a cycle of mirrors stops there, null). Its
``calculationProperties`` (``{name: {calculation: <jq>, type}}``) are JQ run over the
entity as served (mirror values included), the first output, null when the program fails
or yields nothing; they run in worker processes, within a time and a memory budget, and
a program past either is null too (:mod:`ocean.server.calculations`), and so is a value
not of the calculation's ``type`` (a ``number`` that gave a string). Its
``aggregationProperties`` count, or sum, average, ... a property of, the entities of a
blueprint related to the entity (:mod:`ocean.server.aggregations`); they are computed after
the mirrors and before the calculations, which see them. All land in the entity's
``properties``, as Port answers them, unless the caller asks
``exclude_calculated_properties=true`` (Ocean's own diffing does).
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from ocean.server.aggregations import aggregate
from ocean.server.calculations import Calculations, Program
from ocean.store.base import Store
from ocean.store.validation import PROPERTY_TYPES
from ocean.types import Entity

_META = {
    "$identifier": "identifier",
    "$title": "title",
    "$team": "team",
    "$icon": "icon",
    "$createdAt": "createdAt",
    "$updatedAt": "updatedAt",
    "$blueprint": "blueprint",
}
DEPTH = 4
"""Hops of mirrors of computed properties followed at most (a mirror of a mirror...)."""


class Computed:
    """Computes a blueprint's calculation, mirror and aggregation properties over entities
    read; :meth:`close` ends the workers of its calculations (collecting it does too)."""

    def __init__(self, store: Store, calculations: Calculations | None = None) -> None:
        self._store = store
        self.calculations = calculations or Calculations()

    async def apply(
        self, entities: list[Entity], blueprints: dict[str, dict[str, Any]], depth: int = 0
    ) -> list[Entity]:
        """``entities`` (of any blueprints, as stored) with their computed properties
        (``depth``: hops of mirrors of computed properties behind these)."""
        by_blueprint: dict[str, list[Entity]] = defaultdict(list)
        for entity in entities:
            by_blueprint[str(entity.get("blueprint"))].append(entity)
        for blueprint, group in by_blueprint.items():
            definition = blueprints.get(blueprint) or {}
            for name, mirror in dict(definition.get("mirrorProperties") or {}).items():
                path = mirror.get("path") if isinstance(mirror, dict) else None
                if isinstance(path, str) and path:
                    hops = (name, path.split("."), depth)
                    await self._mirror(group, blueprint, hops, blueprints)
            if definition.get("aggregationProperties"):
                await aggregate(self._store, group, blueprint, blueprints)
            programs = _programs(definition)
            if programs:
                await self.calculations.apply(blueprint, programs, group)
                _typed(group, definition)
        return entities

    def close(self) -> None:
        self.calculations.close()

    async def _mirror(
        self,
        entities: list[Entity],
        blueprint: str,
        mirror: tuple[str, list[str], int],
        blueprints: dict[str, dict[str, Any]],
    ) -> None:
        """Set ``properties[name]`` of each entity by following ``path`` from it
        (``mirror``: its name, path and depth)."""
        name, (*hops, leaf), depth = mirror
        reached: list[tuple[Entity, list[Entity]]] = [(entity, [entity]) for entity in entities]
        many, current = False, blueprint
        for relation in hops:
            definition = dict((blueprints.get(current) or {}).get("relations") or {}).get(relation)
            if not isinstance(definition, dict) or not isinstance(definition.get("target"), str):
                reached = [(entity, []) for entity, _ in reached]
                break
            many = many or bool(definition.get("many"))
            current = definition["target"]
            reached = await self._follow(reached, relation, current)
        if hops and depth < DEPTH and leaf in computed_names(blueprints.get(current) or {}):
            ends = list({id(end): end for _, found in reached for end in found}.values())
            await self.apply(ends, blueprints, depth + 1)
        for entity, ends in reached:
            values = [_read(end, leaf) for end in ends]
            entity.setdefault("properties", {})[name] = (
                values if many else (values[0] if values else None)
            )

    async def _follow(
        self, reached: list[tuple[Entity, list[Entity]]], relation: str, target: str
    ) -> list[tuple[Entity, list[Entity]]]:
        """One hop: the entities each path has reached, replaced by those they relate to."""
        wanted: dict[Any, list[str]] = {}
        for entity, ends in reached:
            wanted[id(entity)] = [
                identifier
                for end in ends
                for identifier in _related(end.get("relations", {}).get(relation))
            ]
        identifiers = sorted({i for ids in wanted.values() for i in ids})
        found = await self._store.get_entities(target, identifiers) if identifiers else {}
        return [
            (entity, [found[i] for i in wanted[id(entity)] if i in found]) for entity, _ in reached
        ]


def _related(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [item for item in value if isinstance(item, str)]
    return []


def _read(entity: Entity, leaf: str) -> Any:
    if leaf in _META:
        return entity.get(_META[leaf])
    return (entity.get("properties") or {}).get(leaf)


def computed_names(definition: dict[str, Any]) -> dict[str, str]:
    """A blueprint's computed properties: name to kind (``mirror``, ``calculation``,
    ``aggregation``)."""
    kinds = {
        "mirrorProperties": "mirror",
        "calculationProperties": "calculation",
        "aggregationProperties": "aggregation",
    }
    return {
        name: kind
        for field, kind in kinds.items()
        if isinstance(definition.get(field), dict)
        for name in definition[field]
    }


def _typed(entities: list[Entity], definition: dict[str, Any]) -> None:
    """Each calculation's values that are not of its ``type`` made null."""
    for name, calculation in dict(definition.get("calculationProperties") or {}).items():
        kind = calculation.get("type") if isinstance(calculation, dict) else None
        expected = PROPERTY_TYPES.get(kind) if isinstance(kind, str) else None
        if expected is None:
            continue
        for entity in entities:
            value = (entity.get("properties") or {}).get(name)
            wrong = not isinstance(value, expected) or (
                isinstance(value, bool) and kind != "boolean"
            )
            if value is not None and wrong:
                entity["properties"][name] = None


def _programs(definition: dict[str, Any]) -> list[Program]:
    """A blueprint's calculation properties that hold JQ text, in order."""
    programs: list[Program] = []
    for name, calculation in dict(definition.get("calculationProperties") or {}).items():
        program = calculation.get("calculation") if isinstance(calculation, dict) else None
        if isinstance(program, str):
            programs.append((name, program))
    return programs
