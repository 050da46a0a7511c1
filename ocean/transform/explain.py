"""Why each item did or did not become an entity: the mapping debugger's engine (pure)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ocean.transform.jq import Input
from ocean.transform.mapper import CompiledResource, MapResult
from ocean.types import Entity


@dataclass
class Explanation:
    """One mapped input: the entity it gave, or why none came out."""

    position: int
    outcome: str
    """``entity``, ``selector-false``, ``selector-error``, ``empty-identifier``,
    ``empty-blueprint`` or ``dropped`` (itemsToParse gave no list)."""
    entity: Entity | None = None
    detail: str = ""
    misconfigured: dict[str, str] = field(default_factory=dict)


def explain(resource: CompiledResource, items: list[Any]) -> list[Explanation]:
    """Map each raw item on its own and say what happened to it."""
    explanations: list[Explanation] = []
    for position, item in enumerate(items):
        expander = resource.items_to_parse
        inputs = [item] if expander is None else expander.expand(item)
        if inputs is None:
            detail = f"itemsToParse {expander.text!r} did not give a list"  # type: ignore[union-attr]
            explanations.append(Explanation(position, "dropped", detail=detail))
            continue
        explanations += [_explain_one(position, resource, single) for single in inputs]
    return explanations


def _explain_one(position: int, resource: CompiledResource, item: Any) -> Explanation:
    source, result = Input(item), MapResult()
    misconfigured: dict[str, str] = {}
    verdict = resource.select(source, position, result)
    if verdict is None:
        return Explanation(position, "selector-error", detail=result.errors[0])
    entity = resource.build_entity(source, misconfigured)
    for name in ("identifier", "blueprint"):
        if not entity.get(name):
            detail = f"{name} came out {entity.get(name)!r}, which is empty: no entity"
            return Explanation(position, f"empty-{name}", entity, detail, misconfigured)
    if not verdict:
        detail = f"selector {resource.selector.text!r} gave false"
        return Explanation(position, "selector-false", entity, detail, misconfigured)
    return Explanation(position, "entity", entity, "", misconfigured)
