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
    """Of ``keys``, those a cascade takes that lead, through ``causes``, to one of
    ``touched`` (written since the resync planned, or related to by something written
    since): that one will be kept, so what the cascade took for it stays too. A key leading
    to two causes is spared when either is touched (keeping one too many is safe; deleting
    one whose cause stays is not)."""
    users: dict[EntityKey, list[EntityKey]] = {}
    for key, targets in causes.items():
        for target in targets:
            users.setdefault(target, []).append(key)
    reached: set[EntityKey] = set()
    work = list(touched)
    while work:
        for user in users.get(work.pop(), ()):
            if user not in reached:
                reached.add(user)
                work.append(user)
    return sorted(key for key in keys if key in reached)


def check_written_before(delete_dependents: bool, written_before: str | None) -> None:
    """``written_before`` keeps entities of a deletion without dependents only: in a
    cascade, keeping one would have to keep what it relates to and spare the rest."""
    if delete_dependents and written_before is not None:
        raise ValueError("written_before applies to deletions without dependents only")
