"""Pure stale-entity planning: what a resync may delete, and why it may not.

The rules, whatever the catalog:

- an entity this resync produced, or that anyone wrote while it ran, is never deleted;
- entities of a failed kind's blueprints are kept, and, while any kind failed, those of every
  blueprint no completed kind maps (the failed kind may have made them under a blueprint
  its mapping no longer names, a typo say); once every kind completes, a blueprint no kind
  maps any more loses its stale entities;
- an entity that a kept entity relates to is kept, and so, in turn, is everything it relates
  to among the doomed (a cascade stops there: deleting it would leave the kept one dangling,
  or take it along);
- with ``deleteDependentEntities``, the entities relating to a deleted one go with it (the
  cascade), under the same rules; without it, a stale entity that others relate to is kept;
- at most ``entityDeletionThreshold`` of everything the integration owns may go, and at most
  that fraction of each mapped blueprint's own entities, so that one kind that suddenly
  returns nothing keeps its entities; the blueprints of a kind that shrank that much since
  the last resync keep theirs too (:mod:`ocean.load.shrinkage`: a blueprint two kinds share,
  or one computed from the data).

The plan is closed: nothing outside it relates to anything in it, so the catalog deletes it
without cascading any further.
"""

from __future__ import annotations

from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field

from ocean.store.blocked import keep_what_stays_uses
from ocean.types import EntityKey

CAUSES_LIMIT = 20000
"""The most cascade entities one chunk's deletion checks (see :func:`causes_for`)."""

Graph = dict[EntityKey, set[EntityKey]]
"""Each target's dependents: the entities relating to it."""


@dataclass
class DeletionPlan:
    delete: list[EntityKey] = field(default_factory=list)
    causes: dict[EntityKey, list[EntityKey]] = field(default_factory=dict)
    """Of ``delete``, those the resync did not find stale (``deleteDependentEntities``),
    each with the entities of ``delete`` it relates to: what the cascade takes it for (see
    :func:`causes_for`)."""
    kept_protected: int = 0
    """Stale entities kept because their kind failed."""
    kept_unmapped: dict[str, int] = field(default_factory=dict)
    """Stale entities kept, per blueprint, because a kind failed and no completed kind maps
    their blueprint."""
    kept_in_use: dict[EntityKey, EntityKey] = field(default_factory=dict)
    """Stale entities kept because a kept entity relates to them: each with one such."""
    blocked: str | None = None
    """Why nothing is deleted at all (threshold, unknown state), or None."""
    blocked_blueprints: dict[str, str] = field(default_factory=dict)
    """Blueprints whose stale entities are all kept (their own threshold), with the reason."""

    @property
    def cascade(self) -> dict[EntityKey, EntityKey]:
        """Each entity the cascade takes, with the least deleted entity it relates to."""
        return {key: causes[0] for key, causes in self.causes.items()}


@dataclass(frozen=True)
class Stale:
    """What the resync knows when it plans: the stale candidates and what it must keep."""

    candidates: set[EntityKey]
    """Owned by the integration, untouched since the resync started, not produced by it."""
    produced: set[EntityKey]
    """What this resync produced (written or found unchanged): all of it, or at least
    those among the candidates' dependents (see ``produced_counts``)."""
    protected_blueprints: set[str] = field(default_factory=set)
    mapped_blueprints: set[str] = field(default_factory=set)
    """The blueprints the mapping's kinds produce: each is held to the threshold alone."""
    deletable_blueprints: set[str] | None = None
    """When a kind failed: the blueprints the completed kinds map, the only ones whose
    entities may go (a cascade's too); None: every kind completed, any may."""
    held_blueprints: Mapping[str, str] = field(default_factory=dict)
    """Blueprints whose stale entities are all kept, with the reason (a kind that shrank)."""
    total_owned: int = 0
    produced_counts: Mapping[str, int] | None = None
    """How many keys the resync produced per blueprint, when ``produced`` holds only those
    among the keys examined (the catalog keeps the rest); None: count ``produced``."""


def plan_deletion(
    stale: Stale,
    dependents: Graph,
    fresh: set[EntityKey],
    *,
    delete_dependents: bool,
    threshold: float,
) -> DeletionPlan:
    """The closed set of entities the resync may delete. ``dependents`` is the graph of who
    relates to the candidates (and, with ``delete_dependents``, to their dependents in turn,
    see :func:`closure`); ``fresh`` are the dependents written since the start."""
    plan = DeletionPlan()
    roots = _roots(stale, plan, threshold)
    kept = stale.produced | fresh
    protected, held = stale.protected_blueprints, stale.held_blueprints
    deletable = stale.deletable_blueprints

    def admit(key: EntityKey) -> bool:  # a failed or shrunk kind's entity is kept, even
        if key in kept or key[0] in protected or key[0] in held:  # by a cascade
            return False
        return deletable is None or key[0] in deletable

    doomed = closure(roots, dependents, admit) if delete_dependents else {*roots}
    while True:
        plan.kept_in_use |= keep_what_stays_uses(doomed, dependents)
        if delete_dependents:  # a dependent goes only with something it relates to
            doomed = closure(doomed & roots, dependents, doomed.__contains__)
        over = _over_threshold(stale, roots, threshold)
        if not over:
            break
        plan.blocked_blueprints |= over
        roots = {key for key in roots if key[0] not in over}
        doomed = {key for key in doomed if key[0] not in over}
    plan.kept_in_use = {k: v for k, v in plan.kept_in_use.items() if k in roots - doomed}
    plan.delete = sorted(doomed)
    targets = _targets_among(doomed, dependents)
    plan.causes = {key: sorted(targets[key]) for key in doomed - stale.candidates}
    going = len(plan.delete)
    if going and going > threshold * stale.total_owned:
        plan.blocked = (
            f"would delete {going} entities, {going / max(stale.total_owned, 1):.0%} of the "
            f"{stale.total_owned} the integration owns, above entityDeletionThreshold "
            f"{threshold:g}; nothing was deleted. If the source really shrank, raise "
            "entityDeletionThreshold in the mapping (1 allows everything) and resync."
        )
        plan.delete, plan.causes = [], {}
    return plan


def _roots(stale: Stale, plan: DeletionPlan, threshold: float) -> set[EntityKey]:
    """The candidates that may go, as far as their blueprints tell: those of a failed
    kind's, of one no completed kind maps (a kind failed), or of a held one are kept
    (counted into ``plan``)."""
    protected, held = stale.protected_blueprints, stale.held_blueprints
    roots = {key for key in stale.candidates if key[0] not in protected}
    plan.kept_protected = len(stale.candidates) - len(roots)
    if stale.deletable_blueprints is not None:
        unmapped = [key for key in roots if key[0] not in stale.deletable_blueprints]
        plan.kept_unmapped = dict(sorted(Counter(key[0] for key in unmapped).items()))
        roots.difference_update(unmapped)
    if held:  # (where the blueprint's own count is over too, that says more)
        held_roots = {key for key in roots if key[0] in held}
        holding = {key[0] for key in held_roots}  # the held blueprints with stale entities
        reasons = {bp: why for bp, why in held.items() if bp in holding}
        plan.blocked_blueprints = reasons | _over_threshold(stale, held_roots, threshold)
        roots -= held_roots
    return roots


def causes_for(
    chunk: Iterable[EntityKey],
    causes: Mapping[EntityKey, list[EntityKey]],
    limit: int = CAUSES_LIMIT,
) -> dict[EntityKey, list[EntityKey]]:
    """What a chunk's deletion needs to spare the entities a cascade takes for entities the
    catalog then keeps (written or related to meanwhile, in a later chunk): each of the
    chunk's cascade entities with its causes, and theirs in turn, nearest first, up to
    ``limit`` entities (a chain of cascade entities is checked that deep: each chunk of a
    longer one would read the rest of it again)."""
    found: dict[EntityKey, list[EntityKey]] = {}
    work = deque(key for key in chunk if key in causes)
    while work and len(found) < limit:
        key = work.popleft()
        if key not in found:
            found[key] = causes[key]
            work.extend(cause for cause in causes[key] if cause in causes and cause not in found)
    return found


def closure(
    roots: set[EntityKey], dependents: Graph, admit: Callable[[EntityKey], bool]
) -> set[EntityKey]:
    """``roots`` and, transitively, every entity relating to one of them that ``admit``
    lets in (a kept dependent is not followed: it keeps what it relates to instead)."""
    found, frontier = set(roots), list(roots)
    while frontier:
        for dependent in dependents.get(frontier.pop(), ()):
            if dependent not in found and admit(dependent):
                found.add(dependent)
                frontier.append(dependent)
    return found


def _targets_among(doomed: set[EntityKey], dependents: Graph) -> Graph:
    """For each entity relating to one of ``doomed``, those it relates to."""
    targets: Graph = {}
    for target in doomed:
        for user in dependents.get(target, ()):
            targets.setdefault(user, set()).add(target)
    return targets


def _over_threshold(stale: Stale, roots: Iterable[EntityKey], threshold: float) -> dict[str, str]:
    """The mapped blueprints whose stale entities are more than ``threshold`` of their own
    (the kind lost that much of its source, whatever else keeps some of them)."""
    going = Counter(key[0] for key in roots)
    owned = Counter(key[0] for key in stale.candidates)
    produced = stale.produced_counts
    owned.update(produced if produced is not None else Counter(k[0] for k in stale.produced))
    return {
        blueprint: (
            f"{count} of its {owned[blueprint]} entities are stale "
            f"({count / owned[blueprint]:.0%}), above entityDeletionThreshold {threshold:g}; "
            "kept them all. If the source really emptied this kind, raise "
            "entityDeletionThreshold in the mapping (1 allows everything) and resync."
        )
        for blueprint, count in sorted(going.items())
        if blueprint in stale.mapped_blueprints and count > threshold * owned[blueprint]
    }


def in_chunks(plan: list[EntityKey], dependents: Graph, size: int) -> list[list[EntityKey]]:
    """The plan's entities in chunks of at most ``size`` to delete one transaction each,
    without dependents: every entity comes after (or with) each entity of the plan relating
    to it, so that no chunk finds one of its entities related to by one still standing,
    and a crash between two chunks leaves no relation dangling. Entities relating to each
    other in a cycle go in one chunk (a larger cycle makes a larger chunk)."""
    members = set(plan)
    targets_of: dict[EntityKey, list[EntityKey]] = {}
    waiting: dict[EntityKey, int] = {}
    for target, users in dependents.items():
        if target not in members:
            continue
        for user in users:
            if user != target and user in members:
                targets_of.setdefault(user, []).append(target)
                waiting[target] = waiting.get(target, 0) + 1
    ready = deque(key for key in plan if key not in waiting)
    order: list[EntityKey] = []
    while ready:  # what nothing left relates to, one at a time
        key = ready.popleft()
        order.append(key)
        for target in targets_of.get(key, ()):
            waiting[target] -= 1
            if not waiting[target]:
                ready.append(target)
    left = [key for key in plan if waiting.get(key)]
    return _packed(order, _cycles_first(left, targets_of), size)


def _cycles_first(
    keys: list[EntityKey], targets_of: Mapping[EntityKey, list[EntityKey]]
) -> list[list[EntityKey]]:
    """``keys`` (each in a cycle of relations or behind one) grouped by cycle, each group
    after every group relating to it."""
    components = _Components(set(keys), targets_of)
    for key in reversed(keys):  # (unrelated groups then keep the plan's order)
        if key not in components.index:
            components.walk(key)
    return components.groups[::-1]  # a group closes after those it relates to


@dataclass
class _Components:
    """Tarjan's strongly connected components, iteratively (a chain of a million would
    overflow Python's stack): groups close in ``groups`` after the groups they relate to."""

    inside: set[EntityKey]
    targets_of: Mapping[EntityKey, list[EntityKey]]
    index: dict[EntityKey, int] = field(default_factory=dict)
    low: dict[EntityKey, int] = field(default_factory=dict)
    stack: list[EntityKey] = field(default_factory=list)
    stacked: set[EntityKey] = field(default_factory=set)
    groups: list[list[EntityKey]] = field(default_factory=list)

    def walk(self, root: EntityKey) -> None:
        work = [self._enter(root)]
        while work:
            key, targets = work[-1]
            target = next((t for t in targets if t in self.inside and self._seen(key, t)), None)
            if target is not None:
                work.append(self._enter(target))
                continue
            work.pop()
            if work:
                caller = work[-1][0]
                self.low[caller] = min(self.low[caller], self.low[key])
            if self.low[key] == self.index[key]:
                self._close(key)

    def _enter(self, key: EntityKey) -> tuple[EntityKey, Iterator[EntityKey]]:
        self.index[key] = self.low[key] = len(self.index)
        self.stack.append(key)
        self.stacked.add(key)
        return key, iter(self.targets_of.get(key, ()))

    def _seen(self, key: EntityKey, target: EntityKey) -> bool:
        """Whether ``target`` is new (to walk into); else ``key``'s low takes it in."""
        if target not in self.index:
            return True
        if target in self.stacked:
            self.low[key] = min(self.low[key], self.index[target])
        return False

    def _close(self, root: EntityKey) -> None:
        group = []
        while True:
            key = self.stack.pop()
            self.stacked.discard(key)
            group.append(key)
            if key == root:
                self.groups.append(sorted(group))
                return


def _packed(
    order: list[EntityKey], groups: list[list[EntityKey]], size: int
) -> list[list[EntityKey]]:
    """``order`` in chunks of ``size``, then the groups, consecutive ones together up to
    ``size`` (a larger group alone)."""
    chunks = [order[start : start + size] for start in range(0, len(order), size)]
    chunk = chunks.pop() if chunks and len(chunks[-1]) < size else []
    for group in groups:
        if chunk and len(chunk) + len(group) > size:
            chunks.append(chunk)
            chunk = []
        chunk += group
    return chunks + [chunk] if chunk else chunks
