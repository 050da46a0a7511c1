"""The embedded catalog an integration test resyncs into: Ocean's SQLite catalog, in a
temporary file, that keeps what the resync wrote and deleted.

Its blueprints are the integration's (``.port/resources/blueprints.json``, or those the
test gives), loosened the way the original's harness, whose Port accepts any entity, lets
a test map what it likes: ``required`` is not enforced, and before an entity is written its
blueprint is made to take it: a blueprint, property or relation it needs and the blueprints
lack is added (a property typed after the value; a relation pointing at the blueprint it is
named after when there is one, else at :data:`RELATED`), a property whose definition
refuses the value (type, format, enum) becomes a plain one of the value's type, and a
relation given one identifier where it holds many (or the reverse) follows the value.
Identifiers, titles and teams are checked as Port checks them.
"""

from __future__ import annotations

import asyncio
import copy
import functools
import json
from pathlib import Path
from typing import Any, cast

from ocean.store.base import DeleteResult, Owner, WriteOutcome
from ocean.store.blocked import Causes
from ocean.store.entity_rules import EntityRules
from ocean.store.lease import Fence
from ocean.store.sqlite.host import CatalogHost
from ocean.store.sqlite.store import SQLiteStore
from ocean.store.writes import PreparedBatch
from ocean.types import Entity, EntityKey

RELATED = "ocean-test-related"
"""The blueprint that relations nobody declared point at (their targets are created there)."""
_ENTITY_FIELDS = ("identifier", "blueprint", "title", "icon", "team", "properties", "relations")


def loosened(blueprint: dict[str, Any]) -> dict[str, Any]:
    """A blueprint without its required properties and relations."""
    loose = copy.deepcopy(blueprint)
    schema = loose.get("schema")
    if isinstance(schema, dict):
        schema.pop("required", None)
    for relation in (loose.get("relations") or {}).values():
        if isinstance(relation, dict):
            relation["required"] = False
    return loose


def property_type(value: Any) -> str:
    """Port's property type for a value (a null one: string, which takes null too)."""
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, dict):
        return "object"
    if isinstance(value, list):
        return "array"
    return "string"


def entity_of(document: dict[str, Any]) -> Entity:
    """The entity fields of a document shaped as Port shapes entities."""
    fields = {name: copy.deepcopy(document[name]) for name in _ENTITY_FIELDS if name in document}
    return cast(Entity, fields)


class TestCatalog(SQLiteStore):
    """A SQLite catalog that widens its blueprints to what is written, and, while
    ``recording``, keeps each entity written (as the resync sent it) and each key deleted."""

    __test__ = False  # not a pytest test class

    def __init__(self, host: CatalogHost, path: Path) -> None:
        super().__init__(host, path)
        self.upserted: list[dict[str, Any]] = []
        self.deleted: list[EntityKey] = []
        self.recording = True
        self._blueprints: dict[str, dict[str, Any]] | None = None
        self._widening = asyncio.Lock()

    def remembers_pages(self) -> bool:
        return False  # every page is mapped and written each resync, as the original does

    def maps_pages(self) -> bool:
        return False

    async def upsert_prepared(
        self,
        entities: list[Entity],
        prepared: PreparedBatch | None,
        *,
        owner: Owner,
        merge: bool,
        only_changed: bool = False,
        create_missing_related: bool = True,
    ) -> list[WriteOutcome]:
        await self.widen(entities)
        outcomes = await super().upsert_prepared(
            entities,
            None,  # prepared against the blueprints as they were: prepared again
            owner=owner,
            merge=merge,
            only_changed=only_changed,
            create_missing_related=create_missing_related,
        )
        if self.recording:
            self.upserted += [copy.deepcopy(dict(entities[o.index])) for o in outcomes if o.ok]
        return outcomes

    async def delete_entities(
        self,
        keys: list[EntityKey],
        *,
        delete_dependents: bool = True,
        fence: Fence | None = None,
        written_before: str | None = None,
        causes: Causes | None = None,
    ) -> DeleteResult:
        result = await super().delete_entities(
            keys,
            delete_dependents=delete_dependents,
            fence=fence,
            written_before=written_before,
            causes=causes,
        )
        if self.recording:
            self.deleted += result.deleted
        return result

    async def seed(self, documents: list[dict[str, Any]], owner: Owner) -> list[str]:
        """Write entities as already in the catalog, owned by ``owner`` (not recorded);
        returns the reasons of those that failed."""
        recording, self.recording = self.recording, False
        try:
            outcomes = await self.upsert_entities(
                [entity_of(document) for document in documents], owner=owner, merge=False
            )
        finally:
            self.recording = recording
        return [f"{o.blueprint}/{o.identifier}: {o.error}" for o in outcomes if not o.ok]

    async def widen(self, entities: list[Entity]) -> None:
        """Add the blueprints, properties and relations ``entities`` need and lack."""
        async with self._widening:
            if self._blueprints is None:
                self._blueprints = {bp["identifier"]: bp for bp in await self.list_blueprints()}
            known = self._blueprints
            wanted: dict[str, dict[str, Any]] = {}
            for entity in entities:
                name = entity.get("blueprint")
                if isinstance(name, str) and name:
                    current = wanted.get(name) or known.get(name) or _bare(name)
                    wanted[name] = _widened(current, entity, known)
            changed = {name: bp for name, bp in wanted.items() if bp != known.get(name)}
            if changed:
                await self._apply(changed, known)

    async def _apply(self, changed: dict[str, dict[str, Any]], known: dict[str, Any]) -> None:
        targets = {
            relation["target"]
            for blueprint in changed.values()
            for relation in blueprint["relations"].values()
        }
        new = [bp for name, bp in changed.items() if name not in known]
        if RELATED in targets and RELATED not in known and RELATED not in changed:
            new.insert(0, _bare(RELATED))
        # first bare, so that relations between new blueprints find their targets
        bare = [_bare(blueprint["identifier"]) for blueprint in new]
        await self.create_blueprints(bare)
        for blueprint in [*new, *(bp for name, bp in changed.items() if name in known)]:
            patch = {"schema": blueprint["schema"], "relations": blueprint["relations"]}
            await self.update_blueprint(blueprint["identifier"], patch)
            known[blueprint["identifier"]] = blueprint


def _bare(identifier: str) -> dict[str, Any]:
    return {
        "identifier": identifier,
        "title": identifier[:100],
        "schema": {"properties": {}},
        "relations": {},
    }


def _widened(
    blueprint: dict[str, Any], entity: Entity, known: dict[str, dict[str, Any]]
) -> dict[str, Any]:
    """``blueprint`` with what ``entity`` needs added or reshaped (itself when it fits)."""
    declared = (blueprint.get("schema") or {}).get("properties") or {}
    relations = blueprint.get("relations") or {}
    properties = {
        name: {"type": property_type(value)}
        for name, value in (entity.get("properties") or {}).items()
        if name not in declared or not _fits(declared[name], value)
    }
    reshaped = {
        name: {
            **(relations.get(name) or {"title": name, "target": _target(name, known)}),
            "many": isinstance(value, list),
            "required": False,
        }
        for name, value in (entity.get("relations") or {}).items()
        if name not in relations or _shape_differs(relations[name], value)
    }
    if not properties and not reshaped:
        return blueprint
    widened = copy.deepcopy(blueprint)
    widened.setdefault("schema", {})["properties"] = {**declared, **properties}
    widened["relations"] = {**relations, **reshaped}
    return widened


def _target(relation: str, known: dict[str, dict[str, Any]]) -> str:
    return relation if relation in known else RELATED


def _shape_differs(relation: Any, value: Any) -> bool:
    """A single identifier for a ``many`` relation, or a list for a single one."""
    many = bool(relation.get("many")) if isinstance(relation, dict) else False
    return value is not None and isinstance(value, list) != many


@functools.lru_cache(maxsize=512)
def _rules_of(definition: str) -> EntityRules:
    schema = {"properties": {"value": json.loads(definition)}}
    return EntityRules({"identifier": "check", "schema": schema})


def _fits(definition: Any, value: Any) -> bool:
    """Whether a property so defined takes ``value`` (type, format, enum)."""
    if value is None:
        return True
    try:
        rules = _rules_of(json.dumps(definition, sort_keys=True))
    except (TypeError, ValueError):
        return True
    return not rules.problems({"properties": {"value": value}})
