"""Who relates to what, as Port's ``relatedTo`` searches answer (for a resync's stale
deletion, see :meth:`PortAPIStore.dependents <ocean.store.port.store.PortAPIStore.dependents>`)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from ocean.store.base import Dependents
from ocean.store.port.requests import relation_targets


def add_dependent(
    found: Dependents, entity: dict[str, Any], blueprint: str, targets: set[str], after: str
) -> None:
    """Record ``entity`` as a dependent of those of ``targets`` it points at directly."""
    key = (str(entity["blueprint"]), str(entity["identifier"]))
    hit = False
    for target in relation_targets(entity) & targets:
        if (blueprint, target) != key:
            found.of.setdefault((blueprint, target), set()).add(key)
            hit = True
    if hit and _later(str(entity.get("updatedAt") or ""), after):
        found.fresh.add(key)


def _later(stamp: str, after: str) -> bool:
    """Whether Port's ``stamp`` is after ``after`` (ISO-8601; unknown counts as later)."""
    try:
        return dt.datetime.fromisoformat(stamp) > dt.datetime.fromisoformat(after)
    except ValueError:
        return True
