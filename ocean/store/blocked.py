"""What a deletion without dependents keeps, whatever the catalog: each entity that one
not being deleted relates to, and so, in turn, each entity a kept one relates to (a kept
entity's relations must still lead somewhere). Pure; the stores read the edges."""

from __future__ import annotations

from collections.abc import Mapping

from ocean.types import EntityKey

Blocked = dict[EntityKey, list[EntityKey]]
"""Each kept entity, with those relating to it that stay."""


def kept_in_use(doomed: set[EntityKey], dependents: Mapping[EntityKey, set[EntityKey]]) -> Blocked:
    """Take out of ``doomed`` (in place) every entity something staying relates to, until
    none is left; ``dependents``: who relates to each of ``doomed``, as stored."""
    blocked: Blocked = {}
    while newly := {
        key: sorted(users - doomed)
        for key, users in dependents.items()
        if key in doomed and not users <= doomed
    }:
        blocked |= newly
        doomed.difference_update(newly)
    return blocked
