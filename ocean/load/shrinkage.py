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
so a source that stays broken keeps its entities run after run (a threshold of 0, which
deletes nothing, keeps it too); raising the threshold to 1 for one resync accepts the new
size, and so does a resync that finds nothing the kind held stale any more. A kind is
weighed against its own block's past: the block of the same kind, selector and mapping,
or, its mapping edited, the block of the same kind at its place.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import msgspec

from ocean.mapping import ResourceConfig
from ocean.monitor.report import KindReport


@dataclass
class Shrunk:
    """What the kinds that shrank keep."""

    blueprints: dict[str, str] = field(default_factory=dict)
    """Blueprints whose stale entities are all kept, with the reason."""
    blocked: str | None = None
    """Why nothing is deleted (a kind that shrank produced no blueprint known), or None."""
    carried: list[tuple[KindReport, list[str]]] = field(default_factory=list)
    """The kinds whose past count and blueprints were carried over, each with the
    blueprints it produced itself this time."""

    def accept(self) -> None:
        """Take the kinds' new size after all (nothing they kept is left stale: the
        entities they lost are gone from the catalog, by hand or otherwise)."""
        for kind, own in self.carried:
            kind.baseline, kind.blueprints = produced(kind), own
        self.carried.clear()


def shape_of(resource: ResourceConfig) -> str:
    """A digest of what decides a resource block's entities (its kind, selector and
    mapping): a kind is weighed only against its own past, not another block's."""
    text = json.dumps(
        [resource.kind, resource.selector.__dict__, msgspec.to_builtins(resource.port)],
        sort_keys=True,
        default=str,
    )
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def produced(kind: KindReport) -> int:
    """The entities a kind produced: written, or found unchanged."""
    return kind.created + kind.updated + kind.unchanged


def weigh(
    previous: list[Mapping[str, Any]] | None, kinds: list[KindReport], threshold: float
) -> Shrunk:
    """Set each kind's baseline, and say what the kinds that shrank since ``previous`` (the
    last completed full resync's kinds, as recorded; None: there was none) keep."""
    shrunk = Shrunk()
    pasts = _pasts(previous or [], kinds)
    for kind in kinds:
        kind.baseline = produced(kind)
        last = pasts.get(id(kind))
        if kind.status != "completed" or last is None:
            continue  # a failed kind keeps its entities anyway; a new kind has no past
        baseline = int(last.get("baseline", produced_from(last)))
        if baseline <= 0 or baseline - kind.baseline <= max(threshold, 0) * baseline:
            continue
        own = kind.blueprints
        kind.baseline = baseline
        kind.blueprints = sorted({*last.get("blueprints", ()), *own})
        if threshold > 0:  # (at 0 nothing is deleted: the past is only kept for later)
            shrunk.carried.append((kind, own))
            _hold(shrunk, kind, baseline, threshold)
    return shrunk


def _pasts(
    previous: list[Mapping[str, Any]], kinds: list[KindReport]
) -> dict[int, Mapping[str, Any]]:
    """Each kind's recorded past (by ``id``), each recorded block given once: first the
    block of the same kind and shape at the same place; then one of the same kind and shape
    elsewhere (a block moved); then, for a kind still without one (its mapping edited, or
    recorded before shapes), the block of the same kind at its place."""
    found: dict[int, Mapping[str, Any]] = {}
    taken: set[int] = set()
    for matches in (_same_place, _same_shape, _same_kind_and_place):
        for kind in (kind for kind in kinds if id(kind) not in found):
            free = (n for n in range(len(previous)) if n not in taken)
            n = next((n for n in free if matches(previous[n], kind)), None)
            if n is not None:
                taken.add(n)
                found[id(kind)] = previous[n]
    return found


def _same_shape(recorded: Mapping[str, Any], kind: KindReport) -> bool:
    shaped = kind.shape is not None and recorded.get("shape") == kind.shape
    return shaped and recorded.get("kind") == kind.kind


def _same_place(recorded: Mapping[str, Any], kind: KindReport) -> bool:
    return _same_shape(recorded, kind) and recorded.get("index") == kind.index


def _same_kind_and_place(recorded: Mapping[str, Any], kind: KindReport) -> bool:
    return recorded.get("kind") == kind.kind and recorded.get("index") == kind.index


def _hold(shrunk: Shrunk, kind: KindReport, baseline: int, threshold: float) -> None:
    lost = 1 - produced(kind) / baseline
    reason = (
        f"kind {kind.kind!r} (#{kind.index}) produced {produced(kind)} entities against "
        f"{baseline} before, {lost:.1%} fewer, above entityDeletionThreshold {threshold:g}"
    )
    advice = (
        "If its source really shrank, raise entityDeletionThreshold in the mapping to 1 "
        "for one resync (that accepts the new size)."
    )
    if not kind.blueprints:
        unknown = "and which blueprints it fills is unknown; nothing was deleted"
        shrunk.blocked = f"{reason}, {unknown}. {advice}"
        return
    for blueprint in kind.blueprints:
        shrunk.blueprints.setdefault(blueprint, f"{reason}. {advice}")


def produced_from(recorded: Mapping[str, Any]) -> int:
    """What a recorded kind produced (its report as the catalog keeps it)."""
    return sum(int(recorded.get(name, 0)) for name in ("created", "updated", "unchanged"))
