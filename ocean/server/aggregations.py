"""Aggregation properties, computed on read as Port computes them (the common subset:
:mod:`ocean.store.aggregation_definitions` says which, and refuses the rest).

An aggregation of a blueprint's entities counts the entities of its ``target`` blueprint
that relate directly to each of them (a relation of the target's to the entity, or of
the entity's to them) and match its ``query``, or takes the ``sum``, ``average``,
``min``, ``max`` or ``median`` of a number property of theirs (values that are not
numbers are left out; with none, ``count`` and ``sum`` are 0, the others null).

For a read's entities of one blueprint the work does not grow with their number but with
what they relate to: one lookup of the relation index (the target entities relating to
any of them, when a target relates to the blueprint), then one store search per
aggregation (the target's entities among those, or among those they relate to, that
match the query), whose answers are shared out to the entities they relate to. A query
the store refuses (a target whose schema changed since) makes that aggregation null in
the read, logged once.
"""

from __future__ import annotations

import logging
import statistics
from collections import defaultdict
from collections.abc import Callable
from typing import Any, NamedTuple, cast

import orjson

from ocean.store.aggregation_definitions import aggregation_problems, related_by, unsupported
from ocean.store.base import Dependents, Store
from ocean.store.search import META, Query, SearchError
from ocean.types import Entity

_log = logging.getLogger(__name__)
_logged: set[tuple[str, str, str]] = set()
_LOGGED_AT_MOST = 1000


class Aggregation(NamedTuple):
    name: str
    target: str
    func: str
    property: str | None
    query: dict[str, Any] | None


def aggregations(
    definition: dict[str, Any], blueprints: dict[str, dict[str, Any]]
) -> tuple[list[Aggregation], list[str]]:
    """A blueprint's aggregations the catalog computes, and the names of those it does not
    (:func:`unsupported`, over a target not related directly, or stored before they were
    refused: null)."""
    computed: list[Aggregation] = []
    others: list[str] = []
    for name, given in dict(definition.get("aggregationProperties") or {}).items():
        if (
            aggregation_problems(name, given)
            or unsupported(given)
            or _indirect(definition, given["target"], blueprints)
        ):
            others.append(name)
            continue
        spec = given["calculationSpec"]
        prop = spec.get("property") if spec["func"] != "count" else None
        computed.append(Aggregation(name, given["target"], spec["func"], prop, given.get("query")))
    return computed, others


async def aggregate(
    store: Store, entities: list[Entity], blueprint: str, blueprints: dict[str, dict[str, Any]]
) -> None:
    """Set the aggregation properties of ``entities`` (all of ``blueprint``)."""
    definition = blueprints.get(blueprint) or {}
    computed, others = aggregations(definition, blueprints)
    for entity in entities:
        entity.setdefault("properties", {}).update(dict.fromkeys(others))
    if not computed or not entities:
        return
    dependents = Dependents()
    if any(related_by(blueprints.get(a.target) or {}, blueprint) for a in computed):
        keys = sorted({(blueprint, str(entity["identifier"])) for entity in entities})
        dependents = await store.dependents(keys, after="")
    groups: dict[str, list[Aggregation]] = defaultdict(list)
    for aggregation in computed:  # those of one target and query share a search
        groups[orjson.dumps([aggregation.target, aggregation.query]).decode()].append(aggregation)
    for group in groups.values():
        target, relations = group[0].target, related_by(definition, group[0].target)
        related = [
            _related(entity, blueprint, target, relations, dependents) for entity in entities
        ]
        found = await _matching(store, blueprint, group, sorted(set().union(*related)))
        for aggregation in group:
            for entity, identifiers in zip(entities, related, strict=True):
                entity["properties"][aggregation.name] = (
                    None if found is None else _value(aggregation, identifiers, found)
                )


def _indirect(
    blueprint: dict[str, Any], target: str, blueprints: dict[str, dict[str, Any]]
) -> bool:
    """Whether ``blueprint`` and ``target`` relate only through other blueprints (or the
    target is gone): not computed."""
    aim = blueprints.get(target) or (blueprint if target == blueprint.get("identifier") else {})
    return not (related_by(aim, str(blueprint.get("identifier"))) or related_by(blueprint, target))


def _related(
    entity: Entity, blueprint: str, target: str, relations: list[str], dependents: Dependents
) -> set[str]:
    """The identifiers of the ``target`` entities that relate to ``entity`` or that it
    relates to (by ``relations``, those of its blueprint to ``target``)."""
    relating = dependents.of.get((blueprint, str(entity["identifier"])), set())
    found = {identifier for source, identifier in relating if source == target}
    values = entity.get("relations") or {}
    for name in relations:
        found.update(_identifiers(values.get(name)))
    return found


def _identifiers(value: Any) -> list[str]:
    """A relation's value as identifiers (a single relation's string, a many one's list)."""
    if isinstance(value, str):
        return [value]
    return [item for item in value if isinstance(item, str)] if isinstance(value, list) else []


async def _matching(
    store: Store, blueprint: str, group: list[Aggregation], identifiers: list[str]
) -> dict[str, dict[str, Any]] | None:
    """The entities of the ``group``'s target among ``identifiers`` its query matches,
    each one's properties (those the group takes); None when the store refused the query."""
    if not identifiers:
        return {}
    target, extra = group[0].target, group[0].query
    rules: list[dict[str, Any]] = [
        {"property": "$blueprint", "operator": "=", "value": target},
        {"property": "$identifier", "operator": "in", "value": identifiers},
    ]
    taken = sorted({f"properties.{a.property}" for a in group if a.property})
    query = {"combinator": "and", "rules": rules + ([extra] if extra else [])}
    try:
        found = await store.search(query, include=["identifier", *taken])
    except SearchError as error:
        for aggregation in group:
            _log_once(blueprint, aggregation.name, str(error))
        return None
    return {
        str(entity["identifier"]): dict(entity.get("properties") or {})
        for entity in cast(list[Entity], found)
    }


def _value(
    aggregation: Aggregation, identifiers: set[str], found: dict[str, dict[str, Any]]
) -> Any:
    """The aggregation's value over the matching entities among ``identifiers``."""
    matched = [found[identifier] for identifier in identifiers if identifier in found]
    if aggregation.func == "count":
        return len(matched)
    values = [properties.get(str(aggregation.property)) for properties in matched]
    numbers = [v for v in values if isinstance(v, int | float) and not isinstance(v, bool)]
    if aggregation.func == "sum":
        return sum(numbers)
    if not numbers:
        return None
    if aggregation.func == "average":
        return statistics.fmean(numbers)
    functions: dict[str, Callable[[list[float]], float]] = {
        "min": min,
        "max": max,
        "median": statistics.median,
    }
    return functions[aggregation.func](numbers)


def _log_once(blueprint: str, name: str, reason: str) -> None:
    if (blueprint, name, reason) in _logged:
        return
    if len(_logged) >= _LOGGED_AT_MOST:
        _logged.clear()
    _logged.add((blueprint, name, reason))
    _log.warning(
        "aggregation property %r of blueprint %r is null: its query was refused: %s",
        name,
        blueprint,
        reason,
    )


def aggregation_target_problems(
    blueprint: dict[str, Any], blueprints: dict[str, dict[str, Any]]
) -> list[str]:
    """What of ``blueprint``'s aggregations its targets (among ``blueprints``, every
    blueprint by identifier) cannot answer: a target missing, a property that is not a
    number property of the target, a query naming what the target does not store (one
    related only through other blueprints is kept, and shows null)."""
    identifier = str(blueprint.get("identifier"))
    definitions = blueprint.get("aggregationProperties")
    problems: list[str] = []
    for name, definition in (definitions if isinstance(definitions, dict) else {}).items():
        if aggregation_problems(name, definition):
            continue  # (said by the store)
        target = (blueprints | {identifier: blueprint}).get(definition["target"])
        where = f"blueprint {identifier!r:.80}: aggregation property {name!r}"
        if target is None:
            problems.append(f"{where}: its target {definition['target']!r} is not a blueprint")
        else:
            problems += [f"{where}: {p}" for p in _against(definition, target)]
    return problems


def _against(definition: dict[str, Any], target: dict[str, Any]) -> list[str]:
    problems = []
    aim = str(target.get("identifier"))
    stored = (target.get("schema") or {}).get("properties") or {}
    prop = definition["calculationSpec"].get("property")
    kind = (stored.get(prop) or {}).get("type") if isinstance(prop, str) else "number"
    if kind != "number":
        problems.append(
            f"property {prop!r} is not a number property of blueprint {aim!r} "
            f"({sorted(n for n, d in stored.items() if d.get('type') == 'number')})"
        )
    query = definition.get("query")
    unknown = sorted(_named(query) - set(stored) - set(META))
    for named in unknown:
        problems.append(
            f"its query names {named!r}, which blueprint {aim!r} does not store (a computed "
            "property of the target cannot filter an aggregation)"
        )
    if query is not None and not unknown:
        try:
            Query(query, properties=set(stored))
        except SearchError as error:
            problems.append(f"its query cannot be run: {error}")
    return problems


def _named(query: Any) -> set[str]:
    """The properties the rules of ``query`` name, at any depth."""
    if isinstance(query, dict) and isinstance(query.get("rules"), list):
        return {name for rule in query["rules"] for name in _named(rule)}
    prop = query.get("property") if isinstance(query, dict) else None
    return {prop} if isinstance(prop, str) else set()
