"""Searches whose rules name calculation, mirror or aggregation properties, answered with the values a
read shows (the store holds none of them).

Port's search language has no negation above a rule, so a query with each rule naming a
computed property made true (an empty ``and``; where another blueprint stores a property
of that name, true for the blueprints computing it, the rule kept for the others) matches
a superset of what it matches: the store finds those entities, their computed properties
are computed, and the query itself is run over them. Its rules the store alone can answer (``relatedTo``, ``$datasource``)
are first each turned into the entities they match (one store search each, whatever the
number of entities)."""

from __future__ import annotations

from collections import defaultdict
from typing import Any, cast

from ocean.server.computed import Computed, computed_names
from ocean.store.base import Store
from ocean.store.search import Query, Record, schema_properties
from ocean.types import Entity

_TRUE: dict[str, Any] = {"combinator": "and", "rules": []}


def names(blueprints: dict[str, dict[str, Any]]) -> set[str]:
    """The computed properties of any blueprint a search may name (a name another
    blueprint stores too included: that blueprint's entities match on what they store,
    the computing one's on what it computes)."""
    return set(_computing(blueprints))


def _computing(blueprints: dict[str, dict[str, Any]]) -> dict[str, list[str]]:
    """Each computed property's name, and the blueprints that compute it."""
    found: dict[str, list[str]] = defaultdict(list)
    for identifier, blueprint in sorted(blueprints.items()):
        for name in computed_names(blueprint):
            found[name].append(identifier)
    return found


def names_computed(query: Any, computed: set[str]) -> bool:
    """Whether a rule of ``query`` (at any depth) names one of ``computed``."""
    return any(_names(rule, computed) for rule in _rules(query))


def names_properties(query: Any) -> bool:
    """Whether a rule of ``query`` names a property (not a meta-property such as
    ``$identifier``, as Ocean's own lookups do): only then may it name a computed one."""
    return any(
        isinstance(rule.get("property"), str) and not rule["property"].startswith("$")
        for rule in _rules(query)
    )


async def search(
    store: Store,
    computer: Computed,
    query: dict[str, Any],
    blueprints: dict[str, dict[str, Any]],
) -> tuple[list[Entity], list[Entity]]:
    """The entities matching ``query``, as stored and with their computed properties (in
    the same order)."""
    computing, stored = _computing(blueprints), schema_properties(blueprints)
    computed = set(computing)

    def widened(rule: dict[str, Any]) -> dict[str, Any]:
        """A rule naming a computed property made true where it is computed (it is
        matched on the values computed below), kept where a blueprint stores the name."""
        if rule["property"] not in stored:
            return _TRUE
        where = {"property": "$blueprint", "operator": "in", "value": computing[rule["property"]]}
        return {"combinator": "or", "rules": [rule, where]}

    found = await store.search(_replaced(query, lambda rule: _names(rule, computed), widened))
    candidates = cast(list[Entity], found)
    shown = [
        cast(Entity, {**entity, "properties": dict(entity.get("properties") or {})})
        for entity in candidates
    ]
    await computer.apply(shown, blueprints)
    exact = Query(
        await _answered(store, query), properties=schema_properties(blueprints) | computed
    )
    kept = [i for i, entity in enumerate(shown) if exact.matches(Record(entity))]
    return [candidates[i] for i in kept], [shown[i] for i in kept]


def _names(rule: dict[str, Any], computed: set[str]) -> bool:
    return isinstance(rule.get("property"), str) and rule["property"] in computed


def _stored_only(rule: dict[str, Any]) -> bool:
    return rule.get("operator") == "relatedTo" or rule.get("property") == "$datasource"


def _replaced(query: Any, replace: Any, by: Any = None) -> Any:
    """``query`` with each rule (not group) ``replace`` accepts swapped for ``by(rule)``
    (default: a rule always true)."""
    if isinstance(query, dict) and isinstance(query.get("rules"), list):
        return query | {"rules": [_replaced(rule, replace, by) for rule in query["rules"]]}
    if isinstance(query, dict) and replace(query):
        return by(query) if by else _TRUE
    return query


async def _answered(store: Store, query: dict[str, Any]) -> dict[str, Any]:
    """``query`` with each rule only the store answers swapped for the keys it matches."""
    answers: list[dict[str, Any]] = []
    for rule in _rules(query):
        if _stored_only(rule):
            found = await store.search(
                {"combinator": "and", "rules": [rule]}, include=["blueprint", "identifier"]
            )
            answers.append(_keys_rule(cast(list[Entity], found)))
    given = iter(answers)
    return dict(_replaced(query, _stored_only, lambda _rule: next(given)))


def _rules(query: Any) -> list[dict[str, Any]]:
    """Every rule of ``query``, depth first (the order :func:`_replaced` visits them)."""
    if isinstance(query, dict) and isinstance(query.get("rules"), list):
        return [rule for part in query["rules"] for rule in _rules(part)]
    return [query] if isinstance(query, dict) else []


def _keys_rule(entities: list[Entity]) -> dict[str, Any]:
    """A query matching exactly these entities (none: never true)."""
    by_blueprint: dict[str, list[str]] = defaultdict(list)
    for entity in entities:
        by_blueprint[str(entity["blueprint"])].append(str(entity["identifier"]))
    return {
        "combinator": "or",
        "rules": [
            {
                "combinator": "and",
                "rules": [
                    {"property": "$blueprint", "operator": "=", "value": blueprint},
                    {"property": "$identifier", "operator": "in", "value": identifiers},
                ],
            }
            for blueprint, identifiers in by_blueprint.items()
        ],
    }
