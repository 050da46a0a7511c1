"""Apply one mapped batch to the catalog: read what is stored, write only what changed."""

from __future__ import annotations

from dataclasses import dataclass, field

from ocean.load.diff import EntityDiff, diff_entities
from ocean.store.base import Owner, Store
from ocean.types import Entity


@dataclass
class LoadResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)


async def load_entities(
    store: Store, entities: list[Entity], *, owner: Owner, merge: bool
) -> LoadResult:
    """Create new entities, update changed ones, leave unchanged ones untouched."""
    diff = EntityDiff()
    for blueprint, group in _by_blueprint(entities).items():
        identifiers = [e["identifier"] for e in group if isinstance(e["identifier"], str)]
        stored = await store.get_entities(blueprint, identifiers) if identifiers else {}
        part = diff_entities(group, stored)
        diff.created += part.created
        diff.updated += part.updated
        diff.unchanged += part.unchanged
    result = LoadResult(unchanged=len(diff.unchanged))
    writes = diff.created + diff.updated
    if not writes:
        return result
    for outcome in await store.upsert_entities(writes, owner=owner, merge=merge):
        if not outcome.ok:
            result.failed += 1
            result.errors.append(
                f"entity {outcome.identifier!r:.80} of blueprint {outcome.blueprint!r}: {outcome.error}"
            )
        elif outcome.index < len(diff.created):
            result.created += 1
        else:
            result.updated += 1
    return result


def _by_blueprint(entities: list[Entity]) -> dict[str, list[Entity]]:
    groups: dict[str, list[Entity]] = {}
    for entity in entities:
        groups.setdefault(str(entity["blueprint"]), []).append(entity)
    return groups
