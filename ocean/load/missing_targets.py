"""Entities held back because a relation target did not exist yet, written again once every
kind has run (``createMissingRelatedEntities: false``).

A kind may relate to entities a later kind (or a later page) produces: with missing
targets refused, the catalog fails such an entity (``not_found``). As the original retries
every entity that failed to upsert at the end of a resync, in the order of their relations
to each other, the resync holds these (up to :data:`HELD_AT_MOST`) and writes them once
every kind has run. Their kinds count them only then: created, updated or unchanged if
the targets came, failed (and their kind failed, so that nothing of its blueprints is
deleted) if not. Ocean holds only the entities refused for a missing target: any other
failure would fail again."""

from __future__ import annotations

import graphlib
import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from ocean.load.apply import count_written, write_entities
from ocean.load.freshness import Fetches, Freshness
from ocean.mapping import PortAppConfig
from ocean.monitor.report import KindReport
from ocean.store.base import Owner, Store, WriteOutcome
from ocean.types import Entity

_log = logging.getLogger(__name__)

HELD_AT_MOST = 50_000
"""Entities held in memory for the end of the resync; past it they fail as they come."""
WRITTEN_AT_ONCE = 1_000
MISSING = "not_found"
"""How the catalogs' messages begin for an entity whose relation target does not exist."""


Held = tuple[KindReport, Entity, float]
"""An entity held, its kind's report, and when its data was fetched."""


@dataclass
class HeldForTargets:
    """A resync's entities waiting for their relation targets, with their kinds."""

    held: list[Held | None] = field(default_factory=list)
    """What is held, in the order held (None: a copy superseded since)."""
    fetches: Fetches | None = None
    """When the held entities' data was fetched, while live data may race them (see
    :class:`Freshness`): open until :meth:`write` has claimed them."""
    _places: dict[tuple[int, str, str], int] = field(default_factory=dict)
    """Where each key a kind holds is in ``held``: a later copy of it from the same kind
    replaces it (held again, or written meanwhile: the later copy wins, as in one write)."""

    def hold(
        self,
        kind: KindReport,
        entities: list[Entity],
        outcomes: list[WriteOutcome],
        fetched_at: float | list[float],
    ) -> list[WriteOutcome]:
        """Hold the entities a write refused for a missing target (while there is room),
        fetched at ``fetched_at`` (or each at its own, in the order of ``entities``); the
        outcomes to count now: the others. An entity the same kind held before under the
        same key is dropped once a later copy is written or held (counted unchanged, as a
        held entity newer data was written for): the later copy wins, as in one write; a
        later copy that failed otherwise leaves it held, as a write keeps the copy before."""
        counted, earliest = [], None
        for outcome in outcomes:
            key = (id(kind), str(outcome.blueprint), str(outcome.identifier))
            missing = _missing_target(outcome)
            place = self._places.pop(key, None) if outcome.ok or missing else None
            if place is not None:  # an earlier copy, superseded
                superseded, self.held[place] = self.held[place], None
                assert superseded is not None
                superseded[0].unchanged += 1
            if missing and len(self._places) < HELD_AT_MOST:
                at = fetched_at[outcome.index] if isinstance(fetched_at, list) else fetched_at
                earliest = at if earliest is None else min(earliest, at)
                self._places[key] = len(self.held)
                self.held.append((kind, entities[outcome.index], at))
            else:
                counted.append(outcome)
        if self.fetches is not None and earliest is not None:
            self.fetches.add(earliest)
        return counted

    async def write(
        self, store: Store, owner: Owner, mapping: PortAppConfig, freshness: Freshness | None
    ) -> None:
        """Write what is held, in the order of its relations to itself, and count each in
        its kind; a kind with one still failing fails. With live data (``freshness``), an
        entity written since from newer data is left as it is (counted unchanged)."""
        try:
            if self._places:
                await self._write(store, owner, mapping, freshness)
        finally:
            self.close()

    def close(self) -> None:
        """Nothing held is to be claimed any more (written, or the resync ended)."""
        if self.fetches is not None:
            self.fetches.close()

    async def _write(
        self, store: Store, owner: Owner, mapping: PortAppConfig, freshness: Freshness | None
    ) -> None:
        held = in_relation_order([one for one in self.held if one is not None])
        self.held, self._places, failed = [], {}, 0
        for start in range(0, len(held), WRITTEN_AT_ONCE):
            chunk = held[start : start + WRITTEN_AT_ONCE]
            chunk, outcomes = await _write_chunk(store, owner, mapping, chunk, freshness)
            failed += sum(not outcome.ok for outcome in outcomes)
            for kind, ones in _by_kind(chunk, outcomes):
                count_written(kind, ones)
        _log.info(
            "%d entities waited for their relation targets until every kind had run: "
            "%d written, %d still failing",
            len(held),
            len(held) - failed,
            failed,
        )


async def _write_chunk(
    store: Store,
    owner: Owner,
    mapping: PortAppConfig,
    chunk: list[Held],
    freshness: Freshness | None,
) -> tuple[list[Held], list[WriteOutcome]]:
    """Write those of ``chunk`` no newer data was written for (under the live-data check:
    the claims of those the catalog did not take are taken back); them and their outcomes."""
    if freshness is None:
        entities = [entity for _, entity, _ in chunk]
        return chunk, await write_entities(
            store, entities, owner=owner, mapping=mapping, searches=True
        )
    async with freshness.writing([entity for _, entity, _ in chunk]) as unwritten:
        chunk = _fresh(chunk, freshness)
        entities = [entity for _, entity, _ in chunk]
        outcomes = await write_entities(
            store, entities, owner=owner, mapping=mapping, searches=True
        )
        unwritten.failed(entities, outcomes)
    return chunk, outcomes


def _fresh(chunk: list[Held], freshness: Freshness | None) -> list[Held]:
    """Those of ``chunk`` no newer data was written for since they were fetched (the
    others counted unchanged in their kinds, as a resync's writes count them)."""
    if freshness is None:
        return chunk
    kept = []
    for kind, entity, fetched_at in chunk:
        if freshness.claim([entity], fetched_at)[0]:
            kept.append((kind, entity, fetched_at))
        else:
            kind.unchanged += 1
    return kept


def _missing_target(outcome: WriteOutcome) -> bool:
    return outcome.status == "failed" and (outcome.error or "").startswith(MISSING)


def _by_kind(
    chunk: list[Held], outcomes: list[WriteOutcome]
) -> Iterator[tuple[KindReport, list[WriteOutcome]]]:
    kinds: dict[int, tuple[KindReport, list[WriteOutcome]]] = {}
    for outcome in outcomes:
        kind = chunk[outcome.index][0]
        kinds.setdefault(id(kind), (kind, []))[1].append(outcome)
    yield from kinds.values()


def in_relation_order(held: list[Held]) -> list[Held]:
    """Targets before the entities relating to them (by identifier, as the original); in
    the order held where relations make a cycle."""
    places: dict[str, list[int]] = {}
    for place, (_, entity, _) in enumerate(held):
        places.setdefault(_text(entity.get("identifier")), []).append(place)
    graph = {
        place: {
            target
            for name in _targets(entity)
            for target in places.get(name, ())
            if target != place
        }
        for place, (_, entity, _) in enumerate(held)
    }
    try:
        order = list(graphlib.TopologicalSorter(graph).static_order())
    except graphlib.CycleError:
        return held
    return [held[place] for place in order]


def _targets(entity: Entity) -> Iterator[str]:
    for value in (entity.get("relations") or {}).values():
        for target in value if isinstance(value, list) else [value]:
            if target is not None and not isinstance(target, dict):
                yield _text(target)


def _text(value: Any) -> str:
    return value if isinstance(value, str) else str(value)
