"""One bulk write to the PostgreSQL catalog, in as few round trips as it can take: a resync
writes while it maps the next pages in the same process, so each round trip of a write
waits for a page's mapping to end before it goes on, and the server idles meanwhile.

Under its blueprints' locks a write asks one question: whether those blueprints are as
their rules were read, which of its keys are stored (with their bodies) and which of its
relation targets exist (those its sent bodies name that the store does not know exist, see
:mod:`.known`; a merge that keeps a stored relation asks about the rest after). Then it
plans, and copies in (COPY) what it creates. A batch of new entities, all valid and each
key once, needs no plan: its rows follow from the prepared columns, as on SQLite
(:mod:`ocean.store.created`).

A first sync stores nothing of what it writes, and asking costs the server an index seek
per key (about a tenth of its work). So after a write of some blueprints found none of its
keys stored, the next write of the same blueprints does not ask: it plans as if none were
stored and copies its entities in, which fails if one is stored after all, and the write is
made again asking. A plan that updates (a key sent twice) always asks.

A store's writes are made in the order they were called (:class:`Turn`): a resync starts
its next write while the last is under way (:class:`~ocean.store.prepared.WritesInOrder`),
and that write, planned if it need not ask, waits for the last to end, so the server has
it as soon as it has committed the last. Two writes of one store that only copy new rows
in go beside each other when neither writes (or may make as a placeholder) a key the
other writes or reads (:class:`Claim`): made at once, they store and answer what they
would one after the other. They take their blueprints' locks shared, every other write
(and deletion, and blueprint change) exclusive, so only writes of new rows run beside
them: from another process too, unchecked (as writes of other blueprints always were),
where two that make each other's keys as placeholders can deadlock (the server rolls one
back after its ``deadlock_timeout``, and it is made again). A write made again after a
failure (a deadlock, rules changed) may then come after one that went beside it. One
blueprint's first sync is made by two server processes at once (it was the critical
path: the server's CPU is about two thirds of the run).
"""

from __future__ import annotations

import asyncio
import secrets
from dataclasses import dataclass, field

import asyncpg

from ocean.errors import NewerSchemaError
from ocean.store.base import WriteOutcome
from ocean.store.created import created, new_rows
from ocean.store.plan import BatchPlan, plan_batch
from ocean.store.postgres.clock import ServerClock
from ocean.store.postgres.known import KnownTargets, targeted
from ocean.store.postgres.relations import columns
from ocean.store.postgres.rows import Rows, existing, placeholders, write
from ocean.store.postgres.rules import ChangedRules, KnownRules, lock_blueprints
from ocean.store.postgres.schema import MIGRATIONS
from ocean.store.writes import PreparedBatch, WriteOutcomes, prepare, rules_cover, versioned
from ocean.types import Entity, EntityKey

_ASK = (
    "SELECT 0, identifier, version::text, NULL::text, NULL::bigint FROM blueprints "
    "WHERE identifier = ANY($1::text[]) "
    "UNION ALL SELECT 1, blueprint, identifier, body, version FROM entities "
    "WHERE (blueprint, identifier) IN (SELECT * FROM unnest($2::text[], $3::text[])) "
    "UNION ALL SELECT 2, blueprint, identifier, NULL, NULL FROM entities "
    "WHERE (blueprint, identifier) IN (SELECT * FROM unnest($4::text[], $5::text[])) "
    "UNION ALL SELECT 3, NULL, NULL, NULL, n FROM entity_deletions "
    "UNION ALL SELECT 4, NULL, NULL, NULL, max(version)::bigint FROM ocean_schema"
)
_DEADLOCKS = 3
"""Times a write rolled back by the server to break a deadlock is made again."""
BESIDE = 2
"""At most this many writes of new rows only in their transactions at once, per store."""
RULE_CHANGES = 3
"""Times a write is prepared again by rules read since it was prepared."""
_MODES = ("unasked", "asked", "upserted")
"""How a write is made, each the fallback of the one before when a row it copies exists:
without asking which keys are stored, asking (the new rows copied), every row upserted."""


@dataclass
class Answer:
    """What a write asked the catalog under its locks."""

    stored: dict[EntityKey, str] = field(default_factory=dict)
    versions: dict[EntityKey, int] = field(default_factory=dict)
    found: set[EntityKey] = field(default_factory=set)
    """The relation targets asked about that exist."""
    deletions: int = 0
    """The catalog's count of statements that deleted entities (see :mod:`.known`)."""


class MustAsk(Exception):
    """A write made without asking which keys are stored must be planned against them: it
    holds an entity invalid as a new one (valid, merged over its stored body) or a key sent
    twice, or it must fail entities whose relation targets are missing (a stored key would
    count as a creation that failed, and fail what relates to it). It is made again
    asking."""


class Unclaimed(Exception):
    """A write of new rows only found it must make a placeholder its :class:`Claim` did
    not hold (a relation target it knew to exist was deleted since): rolled back, it is
    made again in line."""


@dataclass(frozen=True)
class Claim:
    """What a write of new rows only may make (``keys``: its own, and the placeholders it
    may make, its relation targets not known to exist) and reads (``targets``: every
    relation target it names): the next such write may be made beside it when neither
    makes what the other makes or reads."""

    keys: frozenset[EntityKey]
    targets: frozenset[EntityKey]

    def apart(self, other: Claim) -> bool:
        """Whether neither writes what the other writes or reads: made at once or one
        after the other, they store the same and answer the same."""
        return (
            self.keys.isdisjoint(other.keys)
            and self.keys.isdisjoint(other.targets)
            and other.keys.isdisjoint(self.targets)
        )


@dataclass
class Line:
    """The writes of new rows only now in their transactions, keyed by their
    :attr:`Turn.ended`: the write called after the last of them may join them."""

    running: dict[asyncio.Future[None], Claim] = field(default_factory=dict)
    joined: dict[asyncio.Future[None], tuple[int, Claim]] = field(default_factory=dict)
    """Those that joined and have neither committed nor given up, with their
    :attr:`Turn.number`: one that failed in its transaction (to be made again) still comes
    before the writes called after it."""
    moved: asyncio.Future[None] | None = None
    """Done when one joins or leaves."""

    def room_for(self, claim: Claim, number: int = 0) -> bool:
        """Whether a write of ``claim`` (called ``number``-th) may run beside those running:
        fewer than :data:`BESIDE` run, and each is apart from it, as is each called before
        it that joined and is to be made again (not one called after: that one waits for
        it)."""
        running = self.running
        return (
            len(running) < BESIDE
            and all(other.apart(claim) for other in running.values())
            and all(
                other.apart(claim)
                for ended, (before, other) in self.joined.items()
                if before < number and not ended.done()
            )
        )

    def changes(self) -> asyncio.Future[None]:
        """A future done when a write joins or leaves."""
        if self.moved is None or self.moved.done():
            self.moved = asyncio.get_running_loop().create_future()
        return self.moved

    def join(self, ended: asyncio.Future[None], claim: Claim, number: int = 0) -> None:
        self.running[ended] = claim
        self.joined[ended] = (number, claim)
        self._moved()

    def leave(self, ended: asyncio.Future[None]) -> None:
        if self.running.pop(ended, None) is not None:
            self._moved()

    def settle(self, ended: asyncio.Future[None]) -> None:
        """Committed, or given up: nothing it writes is still to come."""
        self.leave(ended)
        if self.joined.pop(ended, None) is not None:
            self._moved()

    def _moved(self) -> None:
        if self.moved is not None and not self.moved.done():
            self.moved.set_result(None)


@dataclass
class Turn:
    """A write's place in line: its transaction starts once the write called before it
    has ended, so that writes under way at once are made in the order they were called;
    or beside it, when both only copy new rows in and share no key (:class:`Claim`)."""

    before: asyncio.Future[None] | None
    ended: asyncio.Future[None]
    line: Line
    number: int = 0
    """Its place in call order."""

    async def wait(self, claim: Claim | None = None) -> None:
        """Wait for the write before to end; a write of new rows only (``claim``) starts as
        soon as the write before has ended or is running beside others, and there is room
        for it beside what runs (:meth:`Line.room_for`), then joins them."""
        while not self._may_start(claim):
            waits = [self.line.changes()]
            if self.before is not None and not self.before.done():
                waits.append(self.before)  # (a shared future: not cancelled with the waiter)
            await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
        if claim is not None:
            self.line.join(self.ended, claim, self.number)

    def _may_start(self, claim: Claim | None) -> bool:
        before = self.before
        ahead_ended = before is None or before.done()
        if claim is None:
            return ahead_ended
        return (ahead_ended or before in self.line.running) and self.line.room_for(
            claim, self.number
        )

    def leave(self) -> None:
        """Out of its transaction (committed, or failed): no longer beside anything."""
        self.line.leave(self.ended)

    def committed(self) -> None:
        """Committed: the writes after it may write what it wrote."""
        self.line.settle(self.ended)

    def end(self) -> None:
        """End this turn, once the write before has ended too: a write that failed or was
        cancelled while it waited must not let the next one overtake the one before."""
        self.line.settle(self.ended)
        if self.before is not None and not self.before.done():
            self.before.add_done_callback(lambda _: self._ended())
        else:
            self._ended()

    def _ended(self) -> None:
        if not self.ended.done():
            self.ended.set_result(None)


@dataclass
class Batches:
    """The bulk writes of one store: the blueprint sets whose last write found nothing
    stored, and the end of the write called last."""

    fresh: set[tuple[str, ...]] = field(default_factory=set)
    last: asyncio.Future[None] | None = None
    called: int = 0
    """Writes called so far (each turn's number)."""
    targets: KnownTargets = field(default_factory=KnownTargets)
    line: Line = field(default_factory=Line)
    clock: ServerClock = field(default_factory=ServerClock)
    """What writes are stamped with (read again by the store when due)."""

    def forget(self) -> None:
        """Forget what was learnt of the catalog's keys (its server was demoted)."""
        self.fresh.clear()
        self.targets = KnownTargets()

    def turn(self) -> Turn:
        """A place in line for a write called now (its caller ends it)."""
        self.called += 1
        turn = Turn(self.last, asyncio.get_running_loop().create_future(), self.line, self.called)
        self.last = turn.ended
        return turn

    async def write_by_rules(
        self,
        pool: asyncpg.Pool,
        known: KnownRules,
        entities: list[Entity],
        prepared: PreparedBatch,
        options: dict[str, bool],
        owner: int,
        turn: Turn,
    ) -> list[WriteOutcome]:
        """:meth:`write`, prepared again from ``entities`` when a blueprint changed since
        ``prepared`` was (by another process): by the rules read again then, or by those
        another write read meanwhile: prepared again at most :data:`RULE_CHANGES` times."""
        for _ in range(RULE_CHANGES):
            try:
                return await self.write(pool, known, prepared, options, owner, turn)
            except ChangedRules:
                # (else read again while this one waited, unless forgotten since: the store
                # changed a blueprint, and the rules it holds are none)
                if prepared.rules is known.rules or not rules_cover(known.rules, entities):
                    await known.read_from(pool)
                prepared = prepare(entities, known.rules)
        return await self.write(pool, known, prepared, options, owner, turn)

    async def write(
        self,
        pool: asyncpg.Pool,
        known: KnownRules,
        prepared: PreparedBatch,
        options: dict[str, bool],
        owner: int,
        turn: Turn,
    ) -> list[WriteOutcome]:
        """Write ``prepared`` in ``turn``; raise :class:`ChangedRules` if a blueprint
        changed since ``known`` was read."""
        names = tuple(sorted({blueprint for blueprint, _ in prepared.keys}))
        unasked = names in self.fresh and not options.get("update_only")
        mode, deadlocks = (0 if unasked else 1), 0
        while True:
            try:
                writing = _Write(
                    pool, known, self.targets, prepared, options, owner, names, self.clock
                )
                outcomes, answer = await writing.run(_MODES[mode], turn)
                break
            except (asyncpg.UniqueViolationError, Unclaimed, MustAsk):  # a row made meanwhile,
                # or stored after all; a placeholder to make that its claim did not hold; or
                # entities to fail
                if mode == len(_MODES) - 1:
                    raise
                mode += 1
            except asyncpg.DeadlockDetectedError:
                # placeholders made under the lock of the blueprint relating to them, while
                # a write of theirs (another lock) copied the same keys in another order:
                # the server rolled this write back, and it is made again
                deadlocks += 1
                if deadlocks > _DEADLOCKS:
                    raise
            finally:
                turn.leave()  # (failed in its transaction, or before: made again in line)
        if answer.stored:
            self.fresh.discard(names)
        else:
            self.fresh.add(names)
        return outcomes


@dataclass
class _Write:
    """One write transaction of a batch."""

    pool: asyncpg.Pool
    known: KnownRules
    targets: KnownTargets
    prepared: PreparedBatch
    options: dict[str, bool]
    owner: int
    """The owner's number (:mod:`.owners`)."""
    names: tuple[str, ...]
    """The blueprints of its entities, in order."""
    clock: ServerClock
    made: set[EntityKey] = field(default_factory=set)
    """The placeholders it made (for missing relation targets)."""

    async def run(self, mode: str, turn: Turn) -> tuple[WriteOutcomes, Answer]:
        """Every entity's outcome and what was asked; ``turn`` ends as it commits.
        Unasked, the rows are made while the write before is under way; a write that only
        copies new rows in (no stored body to read) takes its blueprints' locks shared, and
        may be made beside the write before when that one does too (:class:`Claim`)."""
        version = secrets.randbits(63)  # every write transaction stamps its own
        prepared, known, copy = self.prepared, self.known, mode != "upserted"
        names = self.names
        plan: BatchPlan | None = None
        targets, rows = self._ahead(mode, version)
        named = targets if rows is not None else _named_targets(prepared)
        copies = rows is not None  # new rows only
        asked = self.targets.unknown(named)  # (learnt meanwhile: asked about, harmless)
        known_at = self.targets.deletions  # the count the keys not asked about held at
        claim = self._claim(named, asked) if copies else None
        await turn.wait(claim)
        # (from here to its commit it may run beside another: Batches.write leaves on failure)
        if prepared.rules is not known.rules:  # read again by the write before
            raise ChangedRules
        stamps = known.stamps  # read with prepared.rules: another write may read both again
        async with self.pool.acquire() as db, db.transaction():
            await lock_blueprints(db, names, shared=copies)
            keys = [] if mode == "unasked" else prepared.keys
            answer = await _ask(db, stamps, names, keys, asked)
            learnt = set(answer.found)  # what the store did not know
            # (the write before may have learnt a newer count since ``asked`` was read:
            # what was known at the older count may have gone)
            if self.targets.still(answer.deletions) and known_at == answer.deletions:
                answer.found |= named - asked
            else:  # an entity may have gone since: ask about the known ones too
                learnt |= await existing(db, named - asked)
                answer.found |= learnt
            if rows is None:
                plan = self._plan(answer.stored)
                targets, rows = plan.targets(), None
            beyond = await existing(db, targets - named)  # a merged body's targets
            found, learnt = (targets & answer.found) | beyond, learnt | beyond
            missing = targets - found
            failing = missing and await self._missing(db, missing, plan, claim, mode, version)
            if failing:
                plan, rows = failing, None
            if rows is None:
                rows = Rows.of(_planned(plan), self.owner, version, self.clock.now(), copy=copy)
            await write(db, rows, self.owner, version)
        turn.committed()  # the next may join what still runs, or write what it wrote
        outcomes, made = self._outcomes(plan, answer, version)
        if self.options["create_missing_related"]:
            made |= missing
            outcomes.made = sorted(self.made)
        wanted = targeted(prepared.rules)  # the keys a later write may ask about
        self.targets.learn(learnt | {key for key in made if key[0] in wanted}, answer.deletions)
        turn.end()
        return outcomes, answer

    async def _missing(
        self, db: asyncpg.Connection, missing: set[EntityKey], plan: BatchPlan | None,
        claim: Claim | None, mode: str, version: int,
    ) -> BatchPlan | None:  # fmt: skip
        """Make the ``missing`` relation targets (placeholders), or fail the writes that
        relate to them: then the plan to write by (None: the rows made stand). Unasked, the
        write is made again asking first (:class:`MustAsk`)."""
        if self.options["create_missing_related"]:
            if claim is not None and not missing <= claim.keys:
                raise Unclaimed  # a target known to exist was deleted since
            self.made = await placeholders(
                db, sorted(missing), self.owner, version, self.clock.now()
            )
            return None
        if mode == "unasked" or plan is None:
            raise MustAsk
        plan.fail_missing(missing)
        return plan

    def _claim(self, named: set[EntityKey], unknown: set[EntityKey]) -> Claim:
        """What this write of new rows only copies in and reads: its keys, and the
        placeholders it may make (the relation targets not known to exist), and the targets
        it asks about."""
        keys = frozenset(self.prepared.keys)
        if self.options["create_missing_related"]:
            keys |= unknown
        return Claim(keys, frozenset(named))

    def _ahead(self, mode: str, version: int) -> tuple[set[EntityKey], Rows | None]:
        """Unasked, the rows of a batch of new entities and the relation targets they need,
        made before the write's turn (:mod:`ocean.store.created`). A batch that needs a
        plan (an entity invalid as a new one, a key sent twice) is made asking
        (:class:`MustAsk`): each is weighed against its stored body (a merge that sends
        part of an entity is valid over it). Asked, nothing yet."""
        if mode != "unasked":
            return set(), None
        new = new_rows(self.prepared)
        if new is None:
            raise MustAsk
        return new.targets, Rows.new(new, self.owner, version, self.clock.now())

    def _outcomes(
        self, plan: BatchPlan | None, answer: Answer, version: int
    ) -> tuple[WriteOutcomes, set[EntityKey]]:
        """Every entity's outcome, and the keys written."""
        if plan is None:
            return created(self.prepared, version), set(self.prepared.keys)
        outcomes = versioned(plan.results(), answer.versions, version)
        return outcomes, {write.key for write in plan.writes}

    def _plan(self, stored: dict[EntityKey, str]) -> BatchPlan:
        """Planned by the rules the batch was prepared by (the store's may be newer)."""
        return plan_batch(self.prepared, stored, self.options, self.prepared.rules)


def _planned(plan: BatchPlan | None) -> BatchPlan:
    assert plan is not None, "a write without a plan has its rows"
    return plan


def _named_targets(prepared: PreparedBatch) -> set[EntityKey]:
    """The relation targets the sent bodies name (a merged body may name more)."""
    return {(bp, target) for _, edges in prepared.checks for _, bp, target in edges}


async def _ask(
    db: asyncpg.Connection,
    stamps: dict[str, str],
    names: tuple[str, ...],
    keys: list[EntityKey],
    targets: set[EntityKey],
) -> Answer:
    """Whether the blueprints ``names`` are as ``stamps`` were read (else raise
    :class:`ChangedRules`), which ``keys`` are stored and which ``targets`` exist."""
    rows = await db.fetch(_ASK, names, *columns(keys), *columns(sorted(targets)))
    answer = Answer()
    if sum(1 for row in rows if row[0] == 0) < len(names):  # one deleted since
        raise ChangedRules
    for part, first, second, body, version in rows:
        if part == 0 and stamps.get(first) != second:
            raise ChangedRules
        if part == 1:
            answer.stored[first, second] = body
            answer.versions[first, second] = version
        elif part == 2:
            answer.found.add((first, second))
        elif part == 3:
            answer.deletions = version
        elif part == 4 and (version or 0) > len(MIGRATIONS):  # a newer Ocean migrated it
            raise NewerSchemaError(version, len(MIGRATIONS))
    return answer
