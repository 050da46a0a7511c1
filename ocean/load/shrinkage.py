"""Kinds that shrank: a kind that now yields far fewer entities than it used to keeps its
blueprints' stale entities, whatever else shares those blueprints.

:func:`~ocean.load.deletion.plan_deletion` also holds each blueprint a kind names to the
threshold, counting the catalog's entities; but a blueprint two kinds share (one empty now,
the other whole) loses only half of its entities, and a blueprint computed from the data is
unknown once its kind yields nothing. So each completed kind is also weighed against what it
produced in the integration's last completed full resync (:func:`weigh`). A kind that lost
more than ``entityDeletionThreshold`` of that keeps the stale entities of every blueprint it
produced then or now; when it produced none that are known, nothing is deleted. The count a
kind is weighed against is carried over while it stays shrunk (:attr:`KindReport.baseline`),
so a source that stays broken keeps its entities run after run; raising the threshold to 1
for one resync accepts the new size.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ocean.monitor.report import KindReport


@dataclass
class Shrunk:
    """What the kinds that shrank keep."""

    blueprints: dict[str, str] = field(default_factory=dict)
    """Blueprints whose stale entities are all kept, with the reason."""
    blocked: str | None = None
    """Why nothing is deleted (a kind that shrank produced no blueprint known), or None."""


def produced(kind: KindReport) -> int:
    """The entities a kind produced: written, or found unchanged."""
    return kind.created + kind.updated + kind.unchanged


def weigh(
    previous: list[Mapping[str, Any]] | None, kinds: list[KindReport], threshold: float
) -> Shrunk:
    """Set each kind's baseline, and say what the kinds that shrank since ``previous`` (the
    last completed full resync's kinds, as recorded; None: there was none) keep."""
    before = {(k.get("kind"), k.get("index")): k for k in previous or []}
    shrunk = Shrunk()
    for kind in kinds:
        kind.baseline = produced(kind)
        last = before.get((kind.kind, kind.index))
        if kind.status != "completed" or last is None:
            continue  # a failed kind keeps its entities anyway; a new kind has no past
        baseline = int(last.get("baseline", produced_from(last)))
        if baseline <= 0 or baseline - kind.baseline <= threshold * baseline:
            continue
        kind.baseline = baseline
        blueprints = sorted({*last.get("blueprints", ()), *kind.blueprints})
        reason = (
            f"kind {kind.kind!r} (#{kind.index}) produced {produced(kind)} entities against "
            f"{baseline} before, {1 - produced(kind) / baseline:.0%} fewer, above "
            f"entityDeletionThreshold {threshold:g}"
        )
        advice = (
            "If its source really shrank, raise entityDeletionThreshold in the mapping to 1 "
            "for one resync (that accepts the new size)."
        )
        if not blueprints:
            unknown = "and which blueprints it fills is unknown; nothing was deleted"
            shrunk.blocked = f"{reason}, {unknown}. {advice}"
            continue
        for blueprint in blueprints:
            shrunk.blueprints.setdefault(blueprint, f"{reason}. {advice}")
    return shrunk


def produced_from(recorded: Mapping[str, Any]) -> int:
    """What a recorded kind produced (its report as the catalog keeps it)."""
    return sum(int(recorded.get(name, 0)) for name in ("created", "updated", "unchanged"))
