"""How one entity write is planned, the same for every backend (pure functions).

A stored entity is its identifier and blueprint plus a JSON *body* holding the fields the
writer sent: title, icon, team, properties, relations.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import orjson

from ocean.load.diff import is_unchanged
from ocean.store.base import WriteOutcome
from ocean.store.entity_rules import EntityRules
from ocean.store.validation import identifier_problem
from ocean.types import Entity, EntityKey

BODY_FIELDS = ("title", "icon", "team", "properties", "relations")


@dataclass
class PlannedWrite:
    """An entity that will be written: its place in the request, key, status and body text."""

    index: int
    key: EntityKey
    status: str
    text: str


def check_keys(
    entities: list[Entity], blueprints: Iterable[str]
) -> tuple[list[WriteOutcome], list[tuple[int, Entity]]]:
    """Split off entities whose identifier or blueprint is unusable, with the reason."""
    known = set(blueprints)
    failed: list[WriteOutcome] = []
    valid: list[tuple[int, Entity]] = []
    for index, entity in enumerate(entities):
        identifier, blueprint = entity.get("identifier"), entity.get("blueprint")
        problem = identifier_problem(identifier)
        if problem is None and blueprint not in known:
            problem = f"blueprint {blueprint!r} does not exist in the catalog; add it to .port/resources/blueprints.json"
        if problem is None:
            valid.append((index, entity))
        else:
            failed.append(WriteOutcome(index, identifier, str(blueprint), "failed", error=problem))
    return failed, valid


@dataclass(slots=True)
class Prepared:
    """An entity made ready before its write transaction: its key, body and body text
    (what the transaction compares with the stored body)."""

    index: int
    key: EntityKey
    entity: Entity
    body: dict[str, Any]
    text: str


@dataclass
class PreparedBatch:
    """Entities prepared against one set of blueprint rules, and those whose key failed."""

    rules: dict[str, EntityRules]
    items: list[Prepared]
    failed: list[WriteOutcome]
    size: int
    """How many entities: the items, the failed and none else."""

    def keys(self) -> list[EntityKey]:
        return [item.key for item in self.items]


def prepare(entities: list[Entity], rules: dict[str, EntityRules]) -> PreparedBatch:
    """Check the keys, shape and render each entity (pure: run it anywhere before the
    transaction). The blueprint's checks wait for the entities that turn out to change."""
    failed, valid = check_keys(entities, rules)
    items = []
    for index, entity in valid:
        body = body_of(entity)
        key = (entity["blueprint"], entity["identifier"])
        items.append(Prepared(index, key, entity, body, dumps(body)))
    return PreparedBatch(rules, items, failed, len(entities))


def joined(batches: list[PreparedBatch]) -> PreparedBatch | None:
    """One batch of several prepared one after the other (their entities in order), or
    None if they were prepared against different rules. The parts are consumed."""
    if not batches or any(batch.rules is not batches[0].rules for batch in batches):
        return None
    whole = PreparedBatch(batches[0].rules, [], [], 0)
    for batch in batches:
        for item in batch.items:
            item.index += whole.size
        for outcome in batch.failed:
            outcome.index += whole.size
        whole.items += batch.items
        whole.failed += batch.failed
        whole.size += batch.size
    return whole


@dataclass
class BatchPlan:
    """A bulk upsert worked out against the stored bodies, before any write."""

    writes: list[PlannedWrite]
    outcomes: list[WriteOutcome]
    edges: dict[EntityKey, list[tuple[str, str, str]]]

    def targets(self) -> set[EntityKey]:
        """Relation targets that must exist, other than entities of this batch."""
        wanted = {(bp, target) for edges in self.edges.values() for _, bp, target in edges}
        return wanted - self.edges.keys()

    def fail_missing(self, missing: set[EntityKey]) -> None:
        """Fail (``not_found``) the writes whose relation targets are missing."""
        kept = []
        for write in self.writes:
            absent = [
                f"relation {name!r} targets {bp} {target!r}, which does not exist"
                for name, bp, target in self.edges[write.key]
                if (bp, target) in missing
            ]
            if not absent:
                kept.append(write)
                continue
            message = (
                "not_found: "
                + "; ".join(absent)
                + " (createMissingRelatedEntities: true creates it)"
            )
            self.outcomes.append(
                WriteOutcome(write.index, write.key[1], write.key[0], "failed", error=message)
            )
        self.writes = kept

    def results(self) -> list[WriteOutcome]:
        """Every entity's outcome, in request order."""
        ordered: list[WriteOutcome | None] = [None] * (len(self.outcomes) + len(self.writes))
        for outcome in self.outcomes:
            ordered[outcome.index] = outcome
        for w in self.writes:
            ordered[w.index] = WriteOutcome(w.index, w.key[1], w.key[0], w.status)
        return [outcome for outcome in ordered if outcome is not None]


def plan_batch(
    batch: PreparedBatch, stored: dict[EntityKey, str], options: dict[str, bool]
) -> BatchPlan:
    """Decide every entity's fate against the stored bodies: unchanged, invalid, or a write
    (with its relation edges)."""
    plan = BatchPlan(writes=[], outcomes=list(batch.failed), edges={})
    merge, only_changed = options["merge"], options["only_changed"]
    for item in batch.items:
        key, status, old = item.key, "created", stored.get(item.key)
        if old is not None:
            if only_changed and (
                old == item.text or is_unchanged(item.entity, entity_from_body(old))
            ):
                plan.outcomes.append(WriteOutcome(item.index, key[1], key[0], "unchanged"))
                continue
            status = "updated"
            if merge:
                body = merged(orjson.loads(old), item.entity)
                item = Prepared(item.index, key, item.entity, body, dumps(body))
        problems, edges = batch.rules[key[0]].checked(item.body)
        if problems:
            error = "; ".join(problems)
            plan.outcomes.append(WriteOutcome(item.index, key[1], key[0], "failed", error=error))
            continue
        plan.writes.append(PlannedWrite(item.index, key, status, item.text))
        plan.edges[key] = edges
    return plan


def body_of(entity: Entity) -> dict[str, Any]:
    return {name: entity[name] for name in BODY_FIELDS if name in entity}  # type: ignore[literal-required]


def merged(old: dict[str, Any], new: Entity) -> dict[str, Any]:
    """Port's ``merge=true``: sent fields replace, properties and relations merge key-wise."""
    result = {**old, **body_of(new)}
    for name in ("properties", "relations"):
        if name in new and name in old:
            result[name] = {**old[name], **new[name]}
    return result


def dumps(value: Any) -> str:
    try:
        return orjson.dumps(value).decode()
    except TypeError:  # integers beyond 64 bits
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def entity_from_body(body: str) -> Entity:
    stored = orjson.loads(body)
    return {
        "title": stored.get("title"),
        "icon": stored.get("icon"),
        "team": stored.get("team") or [],
        "properties": stored.get("properties") or {},
        "relations": stored.get("relations") or {},
    }


def shaped(blueprint: str, identifier: str, body: str, created: str, updated: str) -> Entity:
    """A stored entity as Port shapes it in responses."""
    return {
        "identifier": identifier,
        "blueprint": blueprint,
        **entity_from_body(body),
        "createdAt": created,
        "updatedAt": updated,
    }


def versioned(
    outcomes: list[WriteOutcome], stored: dict[EntityKey, int], written: int
) -> list[WriteOutcome]:
    """Set each successful outcome's version: the write's, or the stored one if unchanged."""
    for outcome in outcomes:
        if outcome.status in ("created", "updated"):
            outcome.version = written
        elif outcome.status == "unchanged":
            outcome.version = stored.get((outcome.blueprint, outcome.identifier))
    return outcomes
