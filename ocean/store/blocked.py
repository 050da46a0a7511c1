"""What a deletion without dependents keeps, whatever the catalog: each entity that one
not being deleted relates to, and so, in turn, each entity a kept one relates to (a kept
entity's relations must still lead somewhere). Pure; the stores read the edges."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from ocean.types import EntityKey

Blocked = dict[EntityKey, list[EntityKey]]
"""Each kept entity, with those relating to it that stay."""


def kept_in_use(doomed: set[EntityKey], dependents: Mapping[EntityKey, set[EntityKey]]) -> Blocked:
    """:func:`keep_what_stays_uses`, each kept entity with all those relating to it that
    stay (what a store reports)."""
    kept = sorted(keep_what_stays_uses(doomed, dependents))
    return {key: sorted(dependents[key] - doomed) for key in kept}


def keep_what_stays_uses(
    doomed: set[EntityKey], dependents: Mapping[EntityKey, set[EntityKey]]
) -> dict[EntityKey, EntityKey]:
    """Take out of ``doomed`` (in place) every entity something staying relates to, and
    in turn what a kept one relates to; ``dependents``: who relates to each of ``doomed``.
    Each kept entity, with the least one staying relating to it when it was kept (the
    resync's plan names one). Each entity is looked at once: a kept one hands its targets
    on."""
    targets: dict[EntityKey, list[EntityKey]] = {}
    for target in doomed:
        for user in dependents.get(target, ()):
            targets.setdefault(user, []).append(target)
    why: dict[EntityKey, EntityKey] = {}
    work = sorted(doomed)
    while work:
        key = work.pop()
        if key not in doomed:
            continue
        outside = min(
            (user for user in dependents.get(key, ()) if user not in doomed), default=None
        )
        if outside is None:
            continue
        doomed.discard(key)
        why[key] = outside
        work.extend(targets.get(key, ()))  # what it relates to now has a kept user
    return why


Causes = Mapping[EntityKey, Sequence[EntityKey]]
"""Each entity a cascade takes, with the entities of the deletion it relates to (those
whose deletion takes it), for those a cascade takes in turn too."""


def watched(causes: Causes) -> set[EntityKey]:
    """The entities whose being kept keeps some of ``causes``' keys."""
    return {target for targets in causes.values() for target in targets}


def spared(keys: Iterable[EntityKey], causes: Causes, touched: set[EntityKey]) -> list[EntityKey]:
    """Of ``keys``, those a cascade takes that no longer lead to an entity that goes. The
    cascade takes an entity along for what it relates to among the deleted, so it goes
    when a path of its causes (through others the cascade takes) reaches a stale entity
    that goes: one not ``touched`` (written since the resync planned, or related to by
    something written since), the walk stopping at touched ones. Entities whose every
    path ends at touched ones stay, and so do those relating to each other in a cycle that
    reaches nothing going (nothing but each other is a reason to delete them)."""
    if not touched:
        return []
    users: dict[EntityKey, list[EntityKey]] = {}
    for key, targets in causes.items():
        for target in targets:
            users.setdefault(target, []).append(key)
    going = [key for key in users if key not in causes and key not in touched]
    reached, work = set(going), list(going)
    while work:
        for user in users.get(work.pop(), ()):
            if user not in reached and user not in touched:
                reached.add(user)
                work.append(user)
    return sorted(key for key in keys if key in causes and key not in reached)


def check_written_before(
    delete_dependents: bool, written_before: str | None, causes: Causes | None = None
) -> None:
    """``written_before`` keeps entities of a deletion without dependents only: in a
    cascade, keeping one would have to keep what it relates to and spare the rest.
    ``causes`` are weighed against it."""
    if delete_dependents and written_before is not None:
        raise ValueError("written_before applies to deletions without dependents only")
    if causes and written_before is None:
        raise ValueError("causes are checked against written_before: give both")
