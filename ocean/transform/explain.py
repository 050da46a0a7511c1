"""Why each item did or did not become an entity: the mapping debugger's engine (pure).

An entity is also checked against its blueprint with the rules ``ocean sail``'s catalog
applies (:mod:`ocean.store.entity_rules`, :func:`ocean.store.writes.check_keys`), so that
what ``ocean map`` calls an entity is one the catalog would take.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from ocean.errors import MappingError
from ocean.store.entity_rules import EntityRules, rules_by_blueprint
from ocean.store.validation import identifier_problem
from ocean.store.writes import body_of
from ocean.transform.jq import EvaluationError, Input
from ocean.transform.leaf import leaves
from ocean.transform.mapper import CompiledResource, MapResult
from ocean.types import Entity

OUTCOMES = (
    "entity",
    "invalid",
    "selector-false",
    "selector-error",
    "key-error",
    "empty-identifier",
    "empty-blueprint",
    "dropped",
)


@dataclass
class Explanation:
    """One mapped input: the entity it gave, or why none came out."""

    position: int
    outcome: str
    """``entity``, ``invalid`` (the blueprint rejects it: see ``problems``),
    ``selector-false``, ``selector-error``, ``key-error`` (jq failed on the identifier or
    the blueprint), ``empty-identifier``, ``empty-blueprint`` or ``dropped`` (itemsToParse
    gave no list)."""
    entity: Entity | None = None
    detail: str = ""
    misconfigured: dict[str, str] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    """What the catalog would reject the entity for (unknown blueprint, type, enum,
    format, relation), one sentence each."""
    failures: dict[str, str] = field(default_factory=dict)
    """Why jq failed on a misconfigured field (``failed: Cannot parse 'x' as JSON``), for
    those it raised on rather than gave null."""
    undefined: list[str] = field(default_factory=list)
    """The entity's properties and relations its blueprint does not define (the catalog
    drops them): ``properties.prNumber``."""


class Blueprints:
    """The blueprints an integration defines, checked as the catalog checks entities."""

    def __init__(self, blueprints: Iterable[dict[str, Any]], source: str) -> None:
        definitions = [bp for bp in blueprints if isinstance(bp, dict) and "identifier" in bp]
        self.rules: dict[str, EntityRules] = rules_by_blueprint(definitions)
        self.source = source

    def problems(self, entity: Entity) -> list[str]:
        """Everything the catalog would reject ``entity`` for."""
        problems = [p for p in [identifier_problem(entity.get("identifier"))] if p]
        rules = self.rules.get(str(entity.get("blueprint")))
        if rules is None:
            known = ", ".join(sorted(self.rules)) or "none"
            return [
                *problems,
                f"blueprint {entity.get('blueprint')!r} is not in {self.source} (it has: "
                f"{known}): the catalog rejects the entity unless it has that blueprint",
            ]
        return problems + rules.problems(body_of(entity))

    def undefined(self, entity: Entity) -> list[str]:
        """The entity's fields its blueprint does not define (dropped by the catalog)."""
        rules = self.rules.get(str(entity.get("blueprint")))
        return [] if rules is None else rules.undefined(body_of(entity))


def explain(
    resource: CompiledResource, items: list[Any], blueprints: Blueprints | None = None
) -> list[Explanation]:
    """Map each raw item on its own and say what happened to it (with ``blueprints``,
    also whether the catalog would take the entity).

    A resource with JQ that does not compile is refused (:class:`MappingError` naming each
    such expression): the debugger checks a mapping, where a resync would map the field
    to null or fail the kind."""
    if problems := resource.problems():
        raise MappingError(
            "the mapping has JQ that does not compile:\n  - "
            + "\n  - ".join(problems)
            + "\nFix these expressions: until then a resync maps such a field to null, and "
            "fails a kind whose identifier, blueprint, selector or itemsToParse it is."
        )
    explanations: list[Explanation] = []
    for position, item in enumerate(items):
        expander = resource.items_to_parse
        inputs = [item] if expander is None else expander.expand(item)
        if inputs is None:
            detail = f"itemsToParse {expander.text!r} did not give a list"  # type: ignore[union-attr]
            explanations.append(Explanation(position, "dropped", detail=detail))
            continue
        for single in inputs:
            explanation = _explain_one(position, resource, single)
            if explanation.outcome == "entity" and blueprints is not None:
                _check(explanation, blueprints)
            explanations.append(explanation)
    return explanations


def _check(explanation: Explanation, blueprints: Blueprints) -> None:
    assert explanation.entity is not None
    explanation.problems = blueprints.problems(explanation.entity)
    explanation.undefined = blueprints.undefined(explanation.entity)
    if explanation.problems:
        explanation.outcome = "invalid"
        explanation.detail = "; ".join(explanation.problems)


def _explain_one(position: int, resource: CompiledResource, item: Any) -> Explanation:
    source = Input(item)
    explanation = _outcome(position, resource, source)
    explanation.failures = _failures(resource, source, explanation.misconfigured)
    return explanation


def _failures(
    resource: CompiledResource, source: Input, misconfigured: dict[str, str]
) -> dict[str, str]:
    """Why jq raised on each misconfigured field that failed (not one that gave null)."""
    found: dict[str, str] = {}
    for leaf in leaves(resource.fields):
        if leaf.path not in misconfigured or leaf.expression is None:
            continue
        try:
            leaf.expression.first(source)
        except EvaluationError as error:
            if error.failed:
                found[leaf.path] = error.reason
    return found


def _outcome(position: int, resource: CompiledResource, source: Input) -> Explanation:
    result = MapResult()
    misconfigured: dict[str, str] = {}
    verdict = resource.select(source, position, result)
    if verdict is None:
        return Explanation(position, "selector-error", detail=result.errors[0])
    entity = resource.build_entity(source, misconfigured)
    for name in ("identifier", "blueprint"):
        if not entity.get(name):
            if (error := resource.key_error(source, position)) is not None:
                return Explanation(position, "key-error", entity, error, misconfigured)
            detail = f"{name} came out {entity.get(name)!r}, which is empty: no entity"
            return Explanation(position, f"empty-{name}", entity, detail, misconfigured)
    if not verdict:
        detail = f"selector {resource.selector.text!r} gave false"
        return Explanation(position, "selector-false", entity, detail, misconfigured)
    return Explanation(position, "entity", entity, "", misconfigured)


@dataclass
class KindSummary:
    """What a resource made of its items, in one line (``ocean map --summary``)."""

    kind: str
    index: int
    items: int = 0
    outcomes: Counter[str] = field(default_factory=Counter)
    misconfigured: dict[str, str] = field(default_factory=dict)
    problems: Counter[str] = field(default_factory=Counter)

    def add(self, explanation: Explanation) -> None:
        self.items += 1
        self.outcomes[explanation.outcome] += 1
        self.misconfigured.update(explanation.misconfigured)
        self.problems.update(explanation.problems)

    def line(self) -> str:
        counts = ", ".join(
            f"{self.outcomes[name]} {name}" for name in OUTCOMES if self.outcomes[name]
        )
        text = f"{self.kind} (resources[{self.index}]): {self.items} items: {counts or 'none'}"
        if self.misconfigured:
            text += f"; null: {', '.join(sorted(self.misconfigured))}"
        if self.problems:
            worst, times = self.problems.most_common(1)[0]
            text += f"; most common problem ({times}x): {worst}"
        return text

    def as_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "resource": self.index,
            "items": self.items,
            "outcomes": dict(self.outcomes),
            "misconfigured": self.misconfigured,
            "problems": dict(self.problems),
        }
