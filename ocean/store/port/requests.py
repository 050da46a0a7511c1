"""How entity writes and lookups are cut into Port API requests (pure functions)."""

from __future__ import annotations

import json
from typing import Any

import orjson

from ocean.store.base import Owner
from ocean.store.port.limits import Limits
from ocean.types import Entity, EntityKey


def by_blueprint(writes: list[tuple[int, Entity]]) -> dict[str, list[tuple[int, Entity]]]:
    groups: dict[str, list[tuple[int, Entity]]] = {}
    for index, entity in writes:
        groups.setdefault(str(entity.get("blueprint")), []).append((index, entity))
    return groups


def bulk_batches(group: list[tuple[int, Entity]], limits: Limits) -> list[list[tuple[int, Entity]]]:
    """Requests within ``limits`` (Port's: at most 20 entities and 1 MiB)."""
    cut: list[list[tuple[int, Entity]]] = [[]]
    size = 0
    for item in group:
        weight = _size(item[1]) + 2
        if cut[-1] and (len(cut[-1]) >= limits.bulk_entities or size + weight > limits.bulk_bytes):
            cut.append([])
            size = 0
        cut[-1].append(item)
        size += weight
    return [batch for batch in cut if batch]


def _size(entity: Entity) -> int:
    try:
        return len(orjson.dumps(entity, default=str))
    except TypeError:  # integers beyond 64 bits
        return len(json.dumps(entity, default=str))


def group_keys(keys: list[EntityKey]) -> dict[str, list[str]]:
    groups: dict[str, list[str]] = {}
    for blueprint, identifier in keys:
        groups.setdefault(blueprint, []).append(identifier)
    return groups


def runs_of(keys: list[EntityKey], size: int) -> list[tuple[str, list[str]]]:
    """``keys`` cut into bulk deletions in their order: a new one wherever the blueprint
    changes or ``size`` identifiers are reached (a resync orders what it deletes, each
    entity before those it relates to: regrouped by blueprint, a target could go first)."""
    runs: list[tuple[str, list[str]]] = []
    for blueprint, identifier in keys:
        if not runs or runs[-1][0] != blueprint or len(runs[-1][1]) >= size:
            runs.append((blueprint, []))
        runs[-1][1].append(identifier)
    return runs


def owned_rules(owner: Owner) -> list[dict[str, Any]]:
    """Search rules matching the entities ``owner`` wrote: its datasource, of any version
    (as ownership is, and as the original's change detection asks)."""
    return [
        {"property": "$datasource", "operator": "contains",
         "value": f"port-ocean/{owner.integration_type}/"},
        {"property": "$datasource", "operator": "contains",
         "value": f"/{owner.identifier}/{owner.user_agent_type}"},
    ]  # fmt: skip


def owned_query(owner: Owner, query: dict[str, Any]) -> dict[str, Any]:
    """``query`` narrowed to the entities ``owner`` wrote (the rules of an ``and`` query
    kept at the top, where the store answers ``$blueprint`` and ``$identifier`` from its
    index)."""
    if query.get("combinator") == "and" and isinstance(query.get("rules"), list):
        return query | {"rules": [*query["rules"], *owned_rules(owner)]}
    return {"combinator": "and", "rules": [query, *owned_rules(owner)]}


def identifier_query(blueprint: str, identifiers: list[str]) -> dict[str, Any]:
    return {
        "combinator": "and",
        "rules": [
            {"property": "$blueprint", "operator": "=", "value": blueprint},
            {"property": "$identifier", "operator": "in", "value": identifiers},
        ],
    }


def relation_targets(entity: dict[str, Any]) -> set[str]:
    """Every identifier an entity's relations point at."""
    targets: set[str] = set()
    for value in (entity.get("relations") or {}).values():
        targets |= {str(v) for v in (value if isinstance(value, list) else [value]) if v}
    return targets
