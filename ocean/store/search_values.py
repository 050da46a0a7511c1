"""Search queries in entities' identifiers and relations, resolved against the catalog
before a write (Port's search identifiers and search relations, port-api.md §7.2).

An identifier may be a query ``{combinator, rules}``: the entity is then the one stored
entity of its blueprint the query matches (none: nothing is written, the entity is
dropped as the original drops it; several: it fails). A relation value may be a query: its
targets are the entities of the relation's target blueprint it matches (a relation that is
not ``many`` takes at most one: none leaves it null, several fail the entity). The Port API
resolves these itself; the embedded catalog and the catalog server resolve them here.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

import orjson

from ocean.store.base import Store, WriteOutcome
from ocean.store.search import SearchError
from ocean.store.writes import identifier_text
from ocean.types import Entity

_log = logging.getLogger(__name__)

Search = Callable[[dict[str, Any]], Awaitable[list[str]]]
"""The identifiers of the stored entities a query matches."""
SHOWN = 5
"""Matches a message names when a query matched too many."""


@runtime_checkable
class ResolvesSearches(Protocol):
    """A catalog that resolves search identifiers and relations itself (a Port API)."""

    def resolves_searches(self) -> bool: ...


def is_search(value: Any) -> bool:
    """Whether ``value`` is a search query (``{combinator, rules}``)."""
    return type(value) is dict and "combinator" in value and "rules" in value


def has_searches(entity: Entity) -> bool:
    """Whether the entity's identifier or one of its relations is a search query."""
    relations = entity.get("relations")
    in_relations = isinstance(relations, dict) and any(map(is_search, relations.values()))
    return in_relations or is_search(entity.get("identifier"))


@dataclass
class Resolved:
    """A write's entities with their queries resolved: those to write (and their places in
    the request), and the outcomes of the others (failed, or dropped: ``unchanged``)."""

    entities: list[Entity] = field(default_factory=list)
    places: list[int] = field(default_factory=list)
    settled: list[WriteOutcome] = field(default_factory=list)

    def outcomes(self, written: list[WriteOutcome]) -> list[WriteOutcome]:
        """Every entity's outcome, in the request's order, from those of the write."""
        for outcome in written:
            outcome.index = self.places[outcome.index]
        return sorted([*written, *self.settled], key=lambda outcome: outcome.index)


class _Unresolved(Exception):
    """An entity whose query cannot be resolved: ``dropped`` when it should be left out."""

    def __init__(self, message: str, *, dropped: bool = False) -> None:
        super().__init__(message)
        self.dropped = dropped


async def resolved_in(store: Store, entities: list[Entity], *, unknown_fails: bool) -> Resolved:
    """Resolve the queries in ``entities`` against ``store`` (see :func:`resolve_searches`)."""

    async def search(query: dict[str, Any]) -> list[str]:
        found = await store.search(query, include=["identifier"])
        return [identifier_text(entity["identifier"]) for entity in found]

    blueprints = {str(bp["identifier"]): bp for bp in await store.list_blueprints()}
    return await resolve_searches(entities, blueprints, search, unknown_fails=unknown_fails)


async def resolve_searches(
    entities: list[Entity],
    blueprints: dict[str, dict[str, Any]],
    search: Search,
    *,
    unknown_fails: bool = False,
) -> Resolved:
    """Resolve the queries in ``entities`` (``blueprints``: the catalog's, by identifier,
    for the relations' targets); each distinct query is searched once. An entity whose
    search identifier matches nothing is dropped (``unchanged``), or with
    ``unknown_fails`` fails as Port's API reports it (identifier ``unknown``, ``not_found``)."""
    resolved, searched = Resolved(), dict[str, list[str]]()

    async def matches(blueprint: str, query: dict[str, Any], what: str) -> list[str]:
        key = f"{blueprint}\0{_canonical(query)}"
        if key not in searched:
            try:
                searched[key] = await search(_within(blueprint, query))
            except SearchError as error:
                raise _Unresolved(f"{what} is not a valid query: {error}") from None
        return searched[key]

    for index, entity in enumerate(entities):
        blueprint = str(entity.get("blueprint"))
        try:
            written = await _resolved(entity, blueprints.get(blueprint) or {}, matches)
        except _Unresolved as unresolved:
            resolved.settled.append(_settled(index, entity, blueprint, unresolved, unknown_fails))
            continue
        resolved.entities.append(written)
        resolved.places.append(index)
    return resolved


async def _resolved(
    entity: Entity,
    blueprint: dict[str, Any],
    matches: Callable[[str, dict[str, Any], str], Awaitable[list[str]]],
) -> Entity:
    written = entity.copy()
    if is_search(entity.get("identifier")):
        what = "its search identifier"
        found = await matches(str(entity["blueprint"]), entity["identifier"], what)
        if not found:
            raise _Unresolved(f"{what} matched no entity", dropped=True)
        written["identifier"] = _one(found, what)
    relations = entity.get("relations") or {}
    if any(map(is_search, relations.values())):
        defined = blueprint.get("relations") or {}
        written["relations"] = {
            name: await _relation(name, value, blueprint, matches) if is_search(value) else value
            for name, value in relations.items()
            if name in defined
            or not is_search(value)  # (not defined: dropped, as the write drops it)
        }
    return written


async def _relation(
    name: str,
    query: dict[str, Any],
    blueprint: dict[str, Any],
    matches: Callable[[str, dict[str, Any], str], Awaitable[list[str]]],
) -> str | list[str] | None:
    definition = (blueprint.get("relations") or {}).get(name)
    if not isinstance(definition, dict) or not definition.get("target"):
        raise _Unresolved(
            f"relation {name!r} is a search query, but the blueprint has no such relation: "
            "add it to the blueprint or remove it from the mapping"
        )
    what = f"relation {name!r}'s search query"
    found = await matches(str(definition["target"]), query, what)
    if definition.get("many"):
        return found
    return _one(found, what) if found else None


def _one(found: list[str], what: str) -> str:
    if len(found) > 1:
        shown = ", ".join(repr(identifier) for identifier in found[:SHOWN])
        more = f" and {len(found) - SHOWN} more" if len(found) > SHOWN else ""
        raise _Unresolved(
            f"{what} matched {len(found)} entities ({shown}{more}) where it takes one: "
            "narrow the query"
        )
    return found[0]


def _within(blueprint: str, query: dict[str, Any]) -> dict[str, Any]:
    rule = {"property": "$blueprint", "operator": "=", "value": blueprint}
    return {"combinator": "and", "rules": [rule, query]}


def _settled(
    index: int, entity: Entity, blueprint: str, unresolved: _Unresolved, unknown_fails: bool
) -> WriteOutcome:
    named = identifier_text(entity.get("identifier"))
    if unresolved.dropped and unknown_fails:
        return WriteOutcome(index, "unknown", blueprint, "failed", f"not_found: {unresolved}")
    if unresolved.dropped:
        _log.info("dropped an entity of %r: %s (%s)", blueprint, unresolved, named)
        return WriteOutcome(index, named, blueprint, "unchanged")
    return WriteOutcome(index, named, blueprint, "failed", error=f"search: {unresolved}")


def _canonical(query: dict[str, Any]) -> str:
    try:
        return orjson.dumps(query, option=orjson.OPT_SORT_KEYS).decode()
    except TypeError:  # an integer past 64 bits (a body read exactly, a JQ number)
        return json.dumps(query, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
