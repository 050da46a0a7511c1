"""Pure stale-entity planning: what a resync may delete, and why it may not."""

from __future__ import annotations

from dataclasses import dataclass, field

from ocean.types import EntityKey


@dataclass
class DeletionPlan:
    delete: list[EntityKey] = field(default_factory=list)
    kept_protected: int = 0
    blocked: str | None = None
    """Why nothing is deleted at all (threshold, unknown state), or None."""


def plan_deletion(
    *,
    owned: set[EntityKey],
    total_owned: int,
    generated: set[EntityKey],
    protected_blueprints: set[str],
    relation_targets: set[EntityKey],
    threshold: float,
) -> DeletionPlan:
    """Entities owned by the integration that this resync did not produce.

    Entities of ``protected_blueprints`` (those a failed kind produces) and relation
    targets of kept entities are never deleted. ``owned`` holds the candidates (owned and
    not written since the resync started); if what is left exceeds ``threshold`` as a
    fraction of ``total_owned`` (everything the integration owns), nothing is deleted.
    """
    stale = owned - generated
    plan = DeletionPlan()
    for key in sorted(stale):
        if key[0] in protected_blueprints or key in relation_targets:
            plan.kept_protected += 1
        else:
            plan.delete.append(key)
    if plan.delete and len(plan.delete) > threshold * total_owned:
        plan.blocked = (
            f"would delete {len(plan.delete)} of {total_owned} owned entities "
            f"({len(plan.delete) / total_owned:.0%}), above entityDeletionThreshold "
            f"{threshold:g}; nothing was deleted. If the source really shrank, raise "
            "entityDeletionThreshold in the mapping and resync."
        )
        plan.delete = []
    return plan
