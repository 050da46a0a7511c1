"""What a deletion without dependents keeps, whatever the catalog: each entity that one
not being deleted relates to, and so, in turn, each entity a kept one relates to (a kept
entity's relations must still lead somewhere). Pure; the stores read the edges."""

from __future__ import annotations

from collections.abc import Mapping

from ocean.types import EntityKey

Blocked = dict[EntityKey, list[EntityKey]]
"""Each kept entity, with those relating to it that stay."""


def kept_in_use(doomed: set[EntityKey], dependents: Mapping[EntityKey, set[EntityKey]]) -> Blocked:
    """Take out of ``doomed`` (in place) every entity something staying relates to, and
    in turn what a kept one relates to; ``dependents``: who relates to each of ``doomed``,
    as stored. Each entity is looked at once: a kept one hands its targets on."""
    targets: dict[EntityKey, list[EntityKey]] = {}
    for target, users in dependents.items():
        for user in users:
            if user != target:
                targets.setdefault(user, []).append(target)
    before = set(doomed)
    work = [key for key, users in dependents.items() if key in doomed and not users <= doomed]
    while work:
        key = work.pop()
        if key not in doomed:
            continue
        doomed.discard(key)
        work += (target for target in targets.get(key, ()) if target in doomed)
    kept = sorted((before - doomed) & dependents.keys())
    return {key: sorted(dependents[key] - doomed) for key in kept}


def check_written_before(delete_dependents: bool, written_before: str | None) -> None:
    """``written_before`` keeps entities of a deletion without dependents only: in a
    cascade, keeping one would have to keep what it relates to and spare the rest."""
    if delete_dependents and written_before is not None:
        raise ValueError("written_before applies to deletions without dependents only")
