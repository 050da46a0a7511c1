"""A batch none of whose entities is stored yet (most of a first sync's), written without
a plan, on either backend.

:func:`~ocean.store.plan.plan_batch` weighs each entity against its stored body and
makes an object per write and per outcome; when nothing is stored, every valid entity is
created and its rows follow from the prepared columns directly. A batch with an invalid
body or the same key twice is planned as usual, as is one whose missing relation targets
must fail it (``createMissingRelatedEntities: false``).
"""

from __future__ import annotations

from dataclasses import dataclass
from operator import attrgetter

from ocean.store.base import WriteOutcome
from ocean.store.writes import PreparedBatch, WriteOutcomes
from ocean.types import EntityKey

Row = tuple[str, str, str, str, str]
"""(target blueprint, target, blueprint, identifier, relation): one edge."""


@dataclass
class NewRows:
    """What writing a batch of new entities inserts."""

    keys: list[EntityKey]
    texts: list[str]
    """The body text of each key (the prepared batch's own lists: each backend makes its
    rows from them)."""
    edges: list[Row]
    """A target named twice is two edges here."""
    targets: set[EntityKey]
    """Relation targets outside the batch, which must exist."""

    @property
    def entities(self) -> list[tuple[str, str, str]]:
        """(blueprint, identifier, body text) each."""
        return [(bp, ident, text) for (bp, ident), text in zip(self.keys, self.texts, strict=True)]


def new_rows(batch: PreparedBatch) -> NewRows | None:
    """The rows of ``batch`` if every entity it prepared is valid and its keys distinct
    (else None: it is planned)."""
    keys, checks = batch.keys, batch.checks
    if any(problems for problems, _ in checks) or len(set(keys)) != len(keys):
        return None
    edges: list[Row] = [
        (target_bp, target, bp, ident, relation)
        for (bp, ident), (_, out) in zip(keys, checks, strict=True)
        for relation, target_bp, target in out
    ]
    targets = {(edge[0], edge[1]) for edge in edges}.difference(keys)
    return NewRows(keys, batch.texts, edges, targets)


def created(batch: PreparedBatch, version: int) -> WriteOutcomes:
    """Every entity's outcome in request order: those whose key failed as prepared, the
    others created by the write ``version``."""
    made = [
        WriteOutcome(index, ident, bp, "created", None, version)
        for index, (bp, ident) in zip(batch.indexes, batch.keys, strict=True)
    ]
    if batch.failed:
        made = sorted([*batch.failed, *made], key=attrgetter("index"))
    return WriteOutcomes(made)
