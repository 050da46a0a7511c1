"""Tests of the catalog's stores, and what their tests share."""

from __future__ import annotations

from ocean.store.base import Store


async def relating_to(store: Store, targets: list[tuple[str, str]]) -> dict[str, set[str]]:
    """The identifiers of the entities relating to each of ``targets`` (by identifier)."""
    found = await store.dependents(targets, after="9999")
    return {t: {i for _, i in found.of.get((bp, t), set())} for bp, t in targets}
