"""Creating blueprints through a Port API in stages, as the original's default setup:
each first bare, then given its relations (with the ownership and team inheritance that
follow them), then its computed properties. A blueprint's relation may target a blueprint
made after it (or itself); a mirror property's path starts with a relation, and an
aggregation names a target blueprint: a Port API refuses either before those exist."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

STAGES: tuple[tuple[str, ...], ...] = (
    ("relations", "ownership", "teamInheritance"),
    ("mirrorProperties", "calculationProperties", "aggregationProperties"),
)
"""The keys each stage after the bare creation adds (the original's creation steps)."""

Send = Callable[[str, str, dict[str, Any]], Awaitable[bool]]
"""Sends one call (method, path, body); False when a create found the blueprint made."""


def bare(blueprint: dict[str, Any]) -> dict[str, Any]:
    """``blueprint`` without the keys of :data:`STAGES`: what may be created first."""
    later = {key for keys in STAGES for key in keys}
    return {key: value for key, value in blueprint.items() if key not in later}


async def create_in_stages(send: Send, blueprints: list[dict[str, Any]]) -> list[str]:
    """Create ``blueprints`` bare, then patch each stage's keys into those made, stage
    by stage (all of one stage before the next); the identifiers of those made."""
    made = [bp for bp in blueprints if await send("POST", "/blueprints", bare(bp))]
    omitted: tuple[str, ...] = tuple(key for keys in STAGES for key in keys)
    for keys in STAGES:
        omitted = omitted[len(keys) :]
        for blueprint in made:
            if any(blueprint.get(key) for key in keys):
                body = {key: value for key, value in blueprint.items() if key not in omitted}
                await send("PATCH", f"/blueprints/{blueprint['identifier']}", body)
    return [str(bp["identifier"]) for bp in made]
