"""Who relates to what, as Port's ``relatedTo`` searches answer (for a resync's stale
deletion, see :meth:`PortAPIStore.dependents <ocean.store.port.store.PortAPIStore.dependents>`,
and for what a deletion kept)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from ocean.store.base import Dependents
from ocean.store.port.http import PortHTTP
from ocean.store.port.lookups import search
from ocean.store.port.requests import group_keys, relation_targets
from ocean.types import EntityKey


async def find_dependents(
    http: PortHTTP, keys: list[EntityKey], *, after: str | None, user_agent: str | None = None
) -> Dependents:
    """One ``relatedTo`` search per chunk of keys (a list value, as Port accepts), then
    which of them each dependent points at (and, with ``after``, which were written since)."""
    found = Dependents()
    size = (await http.limits()).search_identifiers
    for blueprint, identifiers in group_keys(keys).items():
        for start in range(0, len(identifiers), size):
            chunk = set(identifiers[start : start + size])
            rule = {"operator": "relatedTo", "blueprint": blueprint, "value": sorted(chunk),
                    "direction": "downstream"}  # fmt: skip
            related = await search(
                http,
                {"combinator": "and", "rules": [rule]},
                include=["identifier", "blueprint", "relations", "updatedAt"],
                user_agent=user_agent,
            )
            for entity in related:
                add_dependent(found, entity, blueprint, chunk, after)
    return found


def add_dependent(
    found: Dependents, entity: dict[str, Any], blueprint: str, targets: set[str], after: str | None
) -> None:
    """Record ``entity`` as a dependent of those of ``targets`` it points at directly."""
    key = (str(entity["blueprint"]), str(entity["identifier"]))
    hit = False
    for target in relation_targets(entity) & targets:
        if (blueprint, target) != key:
            found.of.setdefault((blueprint, target), set()).add(key)
            hit = True
    if hit and after is not None and _later(str(entity.get("updatedAt") or ""), after):
        found.fresh.add(key)


def _later(stamp: str, after: str) -> bool:
    """Whether Port's ``stamp`` is after ``after`` (ISO-8601; unknown counts as later)."""
    try:
        return dt.datetime.fromisoformat(stamp) > dt.datetime.fromisoformat(after)
    except ValueError:
        return True
