"""Relations around one entity: what it points to, what points to it, and a small graph
of them one or two hops out, laid out in rings for an inline SVG drawn server-side."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ocean.store import paging
from ocean.store.base import Store
from ocean.types import EntityKey

_FIRST, _SECOND = 12, 4
"""Neighbours drawn on the first ring, and per neighbour on the second."""


@dataclass(frozen=True)
class Edge:
    source: EntityKey
    relation: str
    target: EntityKey


@dataclass
class Graph:
    """Nodes placed at (x, y) and the edges between them."""

    width: int
    height: int
    nodes: dict[EntityKey, tuple[float, float]] = field(default_factory=dict)
    edges: list[Edge] = field(default_factory=list)


def targets(entity: Mapping[str, Any], blueprint: Mapping[str, Any]) -> list[Edge]:
    """The entities ``entity`` relates to, one edge each."""
    relations = blueprint.get("relations") or {}
    key = (entity["blueprint"], entity["identifier"])
    edges = []
    for name, value in sorted((entity.get("relations") or {}).items()):
        target = (relations.get(name) or {}).get("target", "?")
        for identifier in value if isinstance(value, list) else [value]:
            if isinstance(identifier, str):
                edges.append(Edge(key, name, (target, identifier)))
    return edges


async def pointing(
    store: Store, key: EntityKey, most: int = 200, blueprints: Mapping[str, Any] | None = None
) -> list[Edge]:
    """The first ``most`` entities relating to ``key`` (a page of them), with the relation
    (with ``blueprints``, only relations whose target is ``key``'s blueprint: an entity may
    relate to another blueprint's entity of the same identifier too)."""
    found = await paging.pointing(store, key, most)
    by_blueprint: dict[str, list[str]] = {}
    for blueprint, identifier in found:
        by_blueprint.setdefault(blueprint, []).append(identifier)
    edges = []
    for blueprint, identifiers in sorted(by_blueprint.items()):
        for entity in (await store.get_entities(blueprint, identifiers)).values():
            source = (blueprint, entity["identifier"])
            relations = ((blueprints or {}).get(blueprint) or {}).get("relations") or {}
            edges += [
                Edge(source, name, key)
                for name in _naming(entity, key[1])
                if blueprints is None or (relations.get(name) or {}).get("target") == key[0]
            ]
    return edges


def _naming(entity: Mapping[str, Any], identifier: str) -> list[str]:
    """The relations of ``entity`` that hold ``identifier``."""
    return [
        name
        for name, value in sorted((entity.get("relations") or {}).items())
        if identifier == value or (isinstance(value, list) and identifier in value)
    ]


async def neighbourhood(
    store: Store, key: EntityKey, first: list[Edge], blueprints: dict[str, Any]
) -> Graph:
    """``key`` in the middle, its neighbours around it, theirs (a few each) further out."""
    graph = Graph(720, 520)
    cx, cy = graph.width / 2, graph.height / 2
    graph.nodes[key] = (cx, cy)
    ring = _others(first, key)[:_FIRST]
    for index, node in enumerate(ring):
        angle = 2 * math.pi * index / max(1, len(ring)) - math.pi / 2
        graph.nodes[node] = (cx + 140 * math.cos(angle), cy + 120 * math.sin(angle))
    graph.edges.extend(e for e in first if e.source in graph.nodes and e.target in graph.nodes)
    for index, node in enumerate(ring):
        for edge, far in await _second(store, node, blueprints, graph):
            angle = 2 * math.pi * index / max(1, len(ring)) - math.pi / 2
            spread = (len(graph.nodes) % 5 - 2) * 0.18
            graph.nodes[far] = (
                cx + 300 * math.cos(angle + spread),
                cy + 230 * math.sin(angle + spread),
            )
            graph.edges.append(edge)
    return graph


async def _second(
    store: Store, node: EntityKey, blueprints: dict[str, Any], graph: Graph
) -> list[tuple[Edge, EntityKey]]:
    """A few of ``node``'s own neighbours not drawn yet."""
    stored = (await store.get_entities(node[0], [node[1]])).get(node[1])
    edges = targets(stored, blueprints.get(node[0]) or {}) if stored else []
    edges += await pointing(store, node, most=_SECOND, blueprints=blueprints)
    found: list[tuple[Edge, EntityKey]] = []
    for edge in edges:
        far = edge.target if edge.source == node else edge.source
        if far not in graph.nodes and len(found) < _SECOND and far not in {f for _, f in found}:
            found.append((edge, far))
    return found


def _others(edges: list[Edge], key: EntityKey) -> list[EntityKey]:
    seen: dict[EntityKey, None] = {}
    for edge in edges:
        seen.setdefault(edge.target if edge.source == key else edge.source, None)
    seen.pop(key, None)
    return list(seen)
