"""Port's rules for a blueprint's aggregation properties (pure): a definition Port would
refuse is refused with the blueprint, naming what is wrong; one Port takes that the catalog
does not compute is kept, and shows null (:func:`unsupported` says why).

An aggregation (``aggregationProperties: {name: {target, calculationSpec, query?}}``) is
computed over the entities of its ``target`` blueprint that relate directly to the entity
(by a relation of theirs to its blueprint, or of its blueprint to theirs) and match its
``query``: ``{func: count, calculationBy: entities}``, or ``{func: sum | min | max |
median | average, calculationBy: property, property}`` of a number property of the
target (an ``average`` of them all: ``averageOf`` absent or ``total``). Not computed (null):
averages per time period (``calculationBy: entities`` with ``average``, or an ``averageOf``
of ``hour``, ``day``, ``week`` or ``month``), ``pathFilter``, and targets related to the
blueprint only through other blueprints.

:func:`aggregation_problems` checks a definition alone (the store, with the blueprint);
:mod:`ocean.server.aggregations` checks it against its target's definition (the catalog
server has every blueprint) and computes it.
"""

from __future__ import annotations

from typing import Any

PROPERTY_FUNCTIONS = ("sum", "min", "max", "median", "average")
"""The functions over a property of the related entities (``calculationBy: property``)."""
FUNCTIONS = ("count", *PROPERTY_FUNCTIONS)
_PERIODS = ("hour", "day", "week", "month")


def aggregation_problems(name: str, definition: Any) -> list[str]:
    """Everything wrong with one aggregation property's definition, or unsupported in it."""
    where = f"aggregation property {name!r}"
    if not isinstance(definition, dict):
        return [f"{where} must be an object {{title, target, calculationSpec, query?}}"]
    problems: list[str] = []
    if not isinstance(definition.get("target"), str) or not definition["target"]:
        problems.append(f"{where} needs a target: the blueprint whose entities it aggregates")
    if definition.get("type", "number") != "number":
        problems.append(f"{where} has type 'number', got {definition.get('type')!r:.40}")
    problems += _spec_problems(where, definition.get("calculationSpec"))
    query = definition.get("query")
    if query is not None and not (
        isinstance(query, dict)
        and query.get("combinator") in ("and", "or")
        and isinstance(query.get("rules"), list)
    ):
        problems.append(
            f"{where}: its query must be a search query {{combinator: and | or, rules}}, "
            f"got {query!r:.60}"
        )
    return problems


def _spec_problems(where: str, spec: Any) -> list[str]:
    if not isinstance(spec, dict) or not isinstance(spec.get("func"), str):
        return [
            f"{where} needs a calculationSpec {{func, calculationBy, property?}} "
            f"(func among {list(FUNCTIONS)}), got {spec!r:.60}"
        ]
    func, by = spec["func"], spec.get("calculationBy")
    if func not in FUNCTIONS:
        return [f"{where}: func {func!r:.40} is not supported; use one of {list(FUNCTIONS)}"]
    if func == "average" and by == "entities":
        return []  # (per time period: not computed, see unsupported)
    expected = "entities" if func == "count" else "property"
    if by != expected:
        return [f"{where}: func {func!r} needs calculationBy {expected!r}, got {by!r:.40}"]
    if expected == "property" and not (isinstance(spec.get("property"), str) and spec["property"]):
        return [f"{where}: func {func!r} needs the property of the target it takes"]
    if func == "average" and spec.get("averageOf", "total") not in ("total", *_PERIODS):
        return [
            f"{where}: averageOf must be 'total' or one of {list(_PERIODS)}, got {spec.get('averageOf')!r:.40}"
        ]
    return []


def unsupported(definition: dict[str, Any]) -> str | None:
    """Why the catalog does not compute an aggregation Port takes (it shows null), or None."""
    spec = definition["calculationSpec"]
    if definition.get("pathFilter"):
        return "pathFilter (the catalog aggregates directly related entities)"
    if spec["func"] == "average" and spec.get("calculationBy") == "entities":
        return "an average of entities per time period"
    if spec["func"] == "average" and spec.get("averageOf", "total") != "total":
        return f"an average per {spec['averageOf']}"
    return None


def related_by(blueprint: dict[str, Any], target: str) -> list[str]:
    """The relations of ``blueprint`` to blueprint ``target``."""
    return [
        name
        for name, relation in dict(blueprint.get("relations") or {}).items()
        if isinstance(relation, dict) and relation.get("target") == target
    ]
