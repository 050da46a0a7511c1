"""How a bulk write is planned against the stored bodies, the same for every backend (pure
functions): each entity unchanged, invalid, or a write with its relation edges; then the
writes whose relation targets are missing failed, when the write may not create them.

A key sent more than once in a batch is planned as if its copies had been sent one after
another: each copy over the last one that is written (:class:`Copies`), and only the last
is stored. When a copy fails (then, or later for a missing relation target), the copies
after it are planned again without it, so that a merge does not carry what a failed copy
set into the body stored.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from operator import attrgetter
from typing import Any

from ocean.load.diff import is_unchanged
from ocean.store.base import WriteOutcome, already_exists, does_not_exist
from ocean.store.entity_rules import Edge, EntityRules
from ocean.store.writes import (
    PLACEHOLDER,
    Checked,
    PreparedBatch,
    dumps,
    entity_of,
    loads,
    merged,
)
from ocean.types import EntityKey


@dataclass
class PlannedWrite:
    """An entity that will be written: its place in the request, key, status and body text."""

    index: int
    key: EntityKey
    status: str
    text: str
    before: list[Edge] | None = None
    """An update's stored relation edges (what the write replaces); None for a creation."""
    claimed: bool = False
    """Whether it is written over a placeholder: the writer takes the entity from the
    placeholder's owners (who made it, and would delete it as their own stale entity)."""


@dataclass
class BatchPlan:
    """A bulk upsert worked out against the stored bodies, before any write."""

    writes: list[PlannedWrite]
    outcomes: list[WriteOutcome]
    edges: dict[EntityKey, list[Edge]]
    copies: Copies | None = None
    """The keys sent more than once, planned by themselves."""
    copied: list[WriteOutcome] = field(default_factory=list)
    """The outcomes of their copies that are not written last."""
    copied_targets: set[EntityKey] = field(default_factory=set)
    """The relation targets of their copies written (the last or not)."""

    def targets(self) -> set[EntityKey]:
        """Relation targets that must exist, other than entities of this batch. An update
        that keeps its stored edges asks about none: a stored edge's target exists (an
        entity that others relate to is never deleted without them, deletion blocks or
        takes its dependents; a write whose target fails fails too; a blueprint change
        that would point edges at nothing is refused). An incremental run's updates mostly
        keep theirs. The copies of a key sent twice: where missing targets are made, those
        of every copy written (as if sent one after another; none is planned again); else
        every target each copy names, as a copy planned again when another fails (over
        another copy, or the stored body) names no others."""
        wanted: set[EntityKey] = set()
        for write in self.writes:
            edges = self.edges[write.key]
            if write.before is None or not same_edges(write.before, edges):
                wanted.update((bp, target) for _, bp, target in edges)
        if self.copies is not None:
            made = self.copies.options["create_missing_related"]
            wanted |= self.copied_targets if made else self.copies.targets()
        return wanted - self.edges.keys()

    def fail_missing(self, missing: set[EntityKey]) -> None:
        """Fail (``not_found``) the writes whose relation targets are missing. A creation
        that fails is missing too, for the writes of this batch that relate to it."""
        missing = set(missing)
        while gone := self._fail(missing):
            missing |= gone

    def _fail(self, missing: set[EntityKey]) -> set[EntityKey]:
        """One pass of :meth:`fail_missing`: the keys whose creation it failed."""
        kept, gone = [], set()
        copies = self.copies.positions if self.copies is not None else {}
        for write in self.writes:
            if write.key in copies:
                kept.append(write)  # planned again below
            elif error := missing_error(self.edges[write.key], missing):
                self.outcomes.append(_failed(write.index, write.key, error))
                if write.before is None:
                    gone.add(write.key)
            else:
                kept.append(write)
        self.writes = kept
        return gone | self.plan_copies(missing)

    def plan_copies(self, missing: set[EntityKey]) -> set[EntityKey]:
        """Plan the keys sent more than once (again), given the ``missing`` targets: the
        keys that were to be created and no longer are."""
        if self.copies is None:
            return set()
        copies = self.copies
        written = {write.key for write in self.writes if write.key in copies.positions}
        self.writes = [write for write in self.writes if write.key not in copies.positions]
        self.copied, self.copied_targets = [], set()
        for key in copies.positions:
            last, edges, outcomes, named = copies.planned(key, missing)
            self.copied += outcomes
            self.copied_targets |= named
            if last is None:
                self.edges.pop(key, None)
                continue
            self.writes.append(last)
            self.edges[key] = edges
        now = {write.key for write in self.writes}
        return {key for key in written - now if key not in copies.stored}

    def claimed(self) -> list[EntityKey]:
        """The keys written over placeholders (mostly none), whose owners the writer replaces."""
        return [write.key for write in self.writes if write.claimed]

    def results(self) -> list[WriteOutcome]:
        """Every entity's outcome, in request order (a key sent twice: each copy's)."""
        outcomes = [*self.outcomes, *self.copied]
        outcomes += [WriteOutcome(w.index, w.key[1], w.key[0], w.status) for w in self.writes]
        return sorted(outcomes, key=attrgetter("index"))


@dataclass
class Copies:
    """The keys a batch sends more than once, each planned copy by copy."""

    batch: PreparedBatch
    positions: dict[EntityKey, list[int]]
    """Each key's copies, by their place in the batch's columns."""
    stored: dict[EntityKey, str]
    """The stored bodies of these keys."""
    options: dict[str, bool]
    rules: dict[str, EntityRules]

    def targets(self) -> set[EntityKey]:
        """Every relation target a copy names."""
        checks = self.batch.checks
        return {
            (bp, target)
            for places in self.positions.values()
            for place in places
            for _, bp, target in checks[place][1]
        }

    def planned(
        self, key: EntityKey, missing: set[EntityKey]
    ) -> tuple[PlannedWrite | None, list[Edge], list[WriteOutcome], set[EntityKey]]:
        """The write of ``key``'s last copy written (None: none is) and its edges, the
        outcomes of its other copies, and the relation targets of every copy written. Each
        copy is planned over the last one written before it (the stored body at first). A
        create-only write fails every copy of a stored key, and every copy after the one it
        creates; an update-only write every copy of a key not stored."""
        batch, old = self.batch, self.stored.get(key)
        last: PlannedWrite | None = None
        edges: list[Edge] = []
        outcomes: list[WriteOutcome] = []
        named: set[EntityKey] = set()
        for place in self.positions[key]:
            index = batch.indexes[place]
            if refusal := _refusal(self.options, key, old is not None or last is not None):
                outcomes.append(_failed(index, key, refusal))
                continue
            over = last.text if last is not None else old
            result = _planned(index, key, batch.texts[place], batch.checks[place], over,
                              self.options, self.rules)  # fmt: skip
            if isinstance(result, WriteOutcome):
                outcomes.append(result)
                continue
            write, written_edges = result
            if error := missing_error(written_edges, missing):
                outcomes.append(_failed(index, key, error))
                continue
            if last is not None:
                outcomes.append(WriteOutcome(last.index, key[1], key[0], last.status))
                write.before = last.before  # what the catalog holds is the stored entity's
                write.claimed = last.claimed
            last, edges = write, written_edges
            named.update((bp, target) for _, bp, target in edges)
        return last, edges, outcomes, named


def _refusal(options: dict[str, bool], key: EntityKey, stored: bool) -> str | None:
    """Why a create-only or update-only write leaves an entity as it is (None: it goes
    on), by whether it is ``stored`` when the write reads it."""
    if stored and options.get("create_only"):
        return already_exists(key)
    if not stored and options.get("update_only"):
        return does_not_exist(key)
    return None


def _failed(index: int, key: EntityKey, error: str) -> WriteOutcome:
    return WriteOutcome(index, key[1], key[0], "failed", error=error)


def missing_error(edges: list[Edge], missing: set[EntityKey]) -> str | None:
    absent = [
        f"relation {name!r} targets {bp} {target!r}, which does not exist"
        for name, bp, target in edges
        if (bp, target) in missing
    ]
    if not absent:
        return None
    return f"not_found: {'; '.join(absent)} (createMissingRelatedEntities: true creates it)"


def plan_batch(
    batch: PreparedBatch,
    stored: dict[EntityKey, str],
    options: dict[str, bool],
    rules: dict[str, EntityRules],
) -> BatchPlan:
    """Decide every entity's fate against the stored bodies: unchanged, invalid, or a write
    (with its relation edges); ``rules`` check what a merge makes. A key sent more than once
    is planned copy by copy (:class:`Copies`). With ``create_only`` a stored key fails, and
    with ``update_only`` one not stored, read in the write's transaction (one of two
    racing)."""
    plan = BatchPlan(writes=[], outcomes=list(batch.failed), edges={})
    repeated = _repeated(batch.keys)
    for index, key, text, checked in zip(
        batch.indexes, batch.keys, batch.texts, batch.checks, strict=True
    ):
        if key in repeated:
            continue
        if refusal := _refusal(options, key, key in stored):
            plan.outcomes.append(_failed(index, key, refusal))
            continue
        result = _planned(index, key, text, checked, stored.get(key), options, rules)
        if isinstance(result, WriteOutcome):
            plan.outcomes.append(result)
            continue
        write, edges = result
        plan.writes.append(write)
        plan.edges[key] = edges
    if repeated:
        held = {key: stored[key] for key in repeated if key in stored}
        plan.copies = Copies(batch, repeated, held, options, rules)
        plan.plan_copies(set())
    return plan


def _repeated(keys: list[EntityKey]) -> dict[EntityKey, list[int]]:
    """The keys that occur more than once, each with its places (none, mostly: one set)."""
    if len(set(keys)) == len(keys):
        return {}
    places: dict[EntityKey, list[int]] = {}
    for place, key in enumerate(keys):
        places.setdefault(key, []).append(place)
    return {key: found for key, found in places.items() if len(found) > 1}


def _planned(
    index: int,
    key: EntityKey,
    text: str,
    checked: Checked,
    old: str | None,
    options: dict[str, bool],
    rules: dict[str, EntityRules],
) -> tuple[PlannedWrite, list[Edge]] | WriteOutcome:
    """One entity's write over ``old`` (None: a creation) and its edges, or its outcome."""
    problems, edges = checked
    status, before, claimed = "created", None, False
    if old is not None:
        rule, claimed = rules[key[0]], old.startswith(PLACEHOLDER)
        merge, only_changed = options["merge"], options["only_changed"] and not claimed
        over = _over_stored(text, old, rule, merge=merge, only_changed=only_changed)
        if over is None:
            return WriteOutcome(index, key[1], key[0], "unchanged")
        written, had = over
        status, before = "updated", rule.edges(had)
        if type(written) is dict:  # merged: checked again as it will be stored
            text = dumps(written)
            problems, edges = rule.checked(written)
    if problems:
        return _failed(index, key, "; ".join(problems))
    return PlannedWrite(index, key, status, text, before, claimed), edges


def _over_stored(
    text: str, old: str, rules: EntityRules, *, merge: bool, only_changed: bool
) -> tuple[str | dict[str, Any], dict[str, Any]] | None:
    """What writing the body ``text`` over the stored ``old`` writes, and ``old`` parsed:
    None when it would change nothing (with ``only_changed``), the merged body when a merge
    keeps something of ``old``, else ``text``. Each body is parsed once, and only when the
    texts differ. A merge keeps only what ``rules`` define of ``old``: a property or
    relation its blueprint no longer has is dropped, not carried into a body that fails."""
    if only_changed and old == text:
        return None
    had = loads(old)
    had.pop("placeholder", None)  # a placeholder's mark (only its own): not written again
    if not (only_changed or merge):
        return text, had
    sent = loads(text)
    if only_changed and is_unchanged(sent, entity_of(had)):
        return None
    if merge:
        had = rules.defined(had)
        if not _covers(sent, had):
            return merged(had, sent), had
    return text, had


def _covers(sent: dict[str, Any], had: dict[str, Any]) -> bool:
    """Whether merging ``sent`` over ``had`` gives ``sent`` again: ``sent`` has every field
    ``had`` has, and every property and relation (so the sent text, already checked, is
    what is stored)."""
    if not sent.keys() >= had.keys():
        return False
    for name in ("properties", "relations"):
        old, new = had.get(name), sent.get(name)
        if isinstance(old, dict) and not (isinstance(new, dict) and new.keys() >= old.keys()):
            return False
    return True


def same_edges(before: list[Edge], after: list[Edge]) -> bool:
    """Whether two bodies relate to the same entities (in any order; an edge that crossed
    processes as JSON is a list, not a tuple)."""
    return len(before) == len(after) and sorted(map(tuple, before)) == sorted(map(tuple, after))
