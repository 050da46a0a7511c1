"""Write what live-event processors returned, through the resync's mapping and writes.

Updated raw items are mapped with ``parse_all``: those the selector keeps are upserted
(unchanged ones are left alone), those it rejects are deleted. Deleted raw items are
mapped too and the entities the selector keeps are deleted. An entity both upserted and
deleted is kept. Only entities this integration owns are deleted, and no deletion
threshold applies (the original's rules).

:class:`LiveWriter` commits in groups: while one group is being written, the changes of
the events finishing meanwhile gather and go into the catalog in one transaction, so
the store's commit rate does not cap the event rate; within a group each entity takes
its last event's change, as it would had the events been written one by one.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import defaultdict
from dataclasses import dataclass, field

from ocean.errors import CatalogUnavailableError
from ocean.extract.fields import resolve_fields
from ocean.extract.raw_values import sift
from ocean.live.processor import WebhookEventRawResults
from ocean.load.apply import failure_message, write_entities
from ocean.load.freshness import Freshness
from ocean.mapping import PortAppConfig
from ocean.store.base import Owner, Store
from ocean.store.group_commit import GroupCommit
from ocean.transform.mapper import CompiledResource
from ocean.types import Entity, EntityKey


@dataclass
class Changes:
    """One event's mapped changes, and the time its data was fetched."""

    upserts: list[Entity]
    gone: list[EntityKey]
    fetched_at: float
    errors: list[str] = field(default_factory=list)


_log = logging.getLogger(__name__)
_Change = tuple[int, "Entity | None"]
"""A key's last change in a group: the position of its event, and the entity to upsert
(None: delete it)."""
_FIRST_RETRY = 0.1
"""Seconds before a failed write is made again the first time; then twice as long."""
_JSON_ONLY = "Make the raw results a processor returns (or register_raw is given) JSON values only"


async def changes_of(
    results: list[tuple[CompiledResource, WebhookEventRawResults]], fetched_at: float
) -> Changes:
    """Map raw results to the entities to upsert and the keys to delete (the fields the
    integration resolves itself included)."""
    changes = Changes([], [], fetched_at)
    doomed: list[Entity] = []
    for resource, raw in results:
        kind = resource.kind
        items, bad = sift(kind, raw.updated_raw_results, 0, fix=_JSON_ONLY)
        gone_items, bad_gone = sift(kind, raw.deleted_raw_results, 0, fix=_JSON_ONLY)
        changes.errors += bad + bad_gone  # an item that is not JSON is neither written nor deleted
        updated = resource.map_items(items, parse_all=True)
        await resolve_fields(resource, updated)
        deleted = resource.map_items(gone_items, parse_all=True)
        changes.upserts += updated.passed
        doomed += updated.failed + deleted.passed
        changes.errors += [f"kind {resource.kind!r}: {e}" for e in updated.errors + deleted.errors]
    kept = {_key(entity) for entity in changes.upserts}
    changes.gone = [key for key in dict.fromkeys(map(_key, doomed)) if key not in kept]
    return changes


class LiveWriter:
    """Applies :class:`Changes` to the catalog, grouping those that arrive together.

    A write the catalog could not take because it is unavailable (unreachable, restarting,
    answering 5xx: :class:`~ocean.errors.CatalogUnavailableError`) is made again, with the
    other events' that failed with it, waiting twice as long each time up to ``retry_max``
    seconds, for up to ``patience`` seconds in all; then the event fails with the catalog's
    error (a live event is then buried in the dead-letter list, where ``ocean events
    retry`` revives it). A group that fails otherwise has each event's changes written
    again alone, once, so that only the event at fault fails.
    """

    def __init__(
        self,
        *,
        store: Store,
        owner: Owner,
        mapping: PortAppConfig,
        freshness: Freshness,
        patience: float = 0.0,
        retry_max: float = 10.0,
    ) -> None:
        self.store, self.owner, self.mapping = store, owner, mapping
        self.freshness = freshness
        self._patience, self._retry_max = patience, retry_max
        self._failing = False
        """The last write failed (logged once until one succeeds)."""
        self._commits: GroupCommit[Changes, list[str]] = GroupCommit(self._write_group)
        self._submitted = freshness.fetches()
        """The changes submitted and not yet through a group's write: those of a caller
        cancelled meanwhile are still written, so their data stays in flight until then."""

    async def write(self, changes: Changes) -> list[str]:
        """Apply ``changes``; returns the errors (mapping or writes), empty when all went in."""
        deadline, attempt, alone = time.monotonic() + self._patience, 0, False
        while True:
            try:
                written = await self._attempt(changes, alone=alone)
            except Exception as error:  # the store failed: asked again, or the event fails
                failure = f"the catalog write failed: {_named(error)}: {error}"
                wait = self._wait(error, alone, attempt, deadline)
                if wait is None:
                    return [*changes.errors, failure]
                if not isinstance(error, CatalogUnavailableError):
                    _log.warning("%s; the events written with it are written again alone", failure)
                    alone = True  # the group failed: this event's changes, alone, once
                    continue
                self._note_failure(failure, wait)
                await asyncio.sleep(wait)
                attempt += 1
                continue
            if self._failing:
                self._failing = False
                _log.info("the catalog takes live-event writes again")
            return changes.errors + written

    def _wait(self, error: Exception, alone: bool, attempt: int, deadline: float) -> float | None:
        """Seconds before writing again after ``error`` (None: the event fails): an
        unavailable catalog is waited for until the deadline; any other failure of a group
        is tried once more, the event alone."""
        if not isinstance(error, CatalogUnavailableError):
            return None if alone else 0.0
        wait = min(self._retry_max, _FIRST_RETRY * 2.0**attempt)
        return None if time.monotonic() + wait > deadline else wait

    async def _attempt(self, changes: Changes, *, alone: bool) -> list[str]:
        """One try at writing ``changes``: grouped with what finishes meanwhile, or alone."""
        self._submitted.add(changes.fetched_at)  # until its group's write ends
        if alone:
            [written] = await self._write_group([changes])
            return written
        return await self._commits.submit(changes)

    def _note_failure(self, failure: str, wait: float) -> None:
        if not self._failing:
            self._failing = True
            _log.warning(
                "%s; live events are written again for up to %g s each",
                failure, self._patience,
            )  # fmt: skip
        else:
            _log.debug("%s; trying again in %.2g s", failure, wait)

    async def _write_group(self, group: list[Changes]) -> list[list[str]]:
        try:
            return await self._write_locked(group)
        finally:
            for changes in group:
                self._submitted.done(changes.fetched_at)

    async def _write_locked(self, group: list[Changes]) -> list[list[str]]:
        async with self.freshness.lock:
            claimed = self.freshness.recorded(
                [_key(e) for changes in group for e in changes.upserts]
                + [key for changes in group for key in changes.gone]
            )
            refused: set[EntityKey] = set()
            try:
                errors = await self._write_claimed(group, refused)
            except BaseException as error:  # its claims are taken back (a retry claims
                written = error.written if isinstance(error, _Unavailable) else set()  # again)
                self.freshness.restore({k: at for k, at in claimed.items() if k not in written})
                raise
            # what the catalog refused was not written: older data may still land
            self.freshness.restore({key: claimed[key] for key in refused if key in claimed})
            return errors

    async def _write_claimed(
        self, group: list[Changes], refused: set[EntityKey]
    ) -> list[list[str]]:
        """Write ``group`` (under the freshness lock), each key its last change's;
        ``refused`` gathers the keys of the upserts the catalog refused."""
        errors: list[list[str]] = [[] for _ in group]
        done: set[EntityKey] = set()
        cascade = self.mapping.delete_dependent_entities  # as the original deletes
        for stage in _stages(self._last_changes(group), cascade=cascade):
            await self._write_stage(stage, errors, done, refused)
        return errors

    async def _write_stage(
        self,
        stage: dict[EntityKey, _Change],
        errors: list[list[str]],
        done: set[EntityKey],
        refused: set[EntityKey],
    ) -> None:
        """Upsert then delete the changes of ``stage``; ``done`` gathers the keys written,
        ``refused`` those whose upsert the catalog refused."""
        upserts = [(at, entity) for at, entity in stage.values() if entity is not None]
        gone = [key for key, (_, entity) in stage.items() if entity is None]
        entities = [entity for _, entity in upserts]
        # written even if unchanged, as the original does: a running resync then keeps
        # what the source has just said exists
        outcomes = await write_entities(
            self.store,
            entities,
            owner=self.owner,
            mapping=self.mapping,
            only_changed=False,
            searches=True,  # (resolved here unless the catalog does: a cheap check)
        )
        ok = {_key(entity) for entity, o in zip(entities, outcomes, strict=True) if o.ok}
        down = next((o for o in outcomes if o.unavailable), None)
        if down is not None and self._patience > 0:  # written again (register_raw: not)
            raise _Unavailable(str(down.error), done | ok)
        done |= ok
        for (position, entity), outcome in zip(upserts, outcomes, strict=True):
            if not outcome.ok:
                errors[position].append(failure_message(outcome))
                refused.add(_key(entity))
        if gone:
            owned = await _owned(self.store, self.owner, gone)
            cascade = self.mapping.delete_dependent_entities
            result = await self.store.delete_entities(owned, delete_dependents=cascade)
            for key, dependents in result.blocked.items():
                errors[stage[key][0]].append(_kept_for(key, dependents))
            done |= set(gone)

    def _last_changes(self, group: list[Changes]) -> dict[EntityKey, _Change]:
        """Each key's last change in the group that no newer data overrides: the entity to
        upsert (and the position of its event), or None to delete it. A later event wins
        over an earlier one of the group, as it would in a group of its own (an entity
        deleted and then made again is kept, made and then deleted is gone)."""
        last: dict[EntityKey, _Change] = {}
        for position, changes in enumerate(group):
            kept, _newer = self.freshness.claim(changes.upserts, changes.fetched_at)
            last.update((_key(entity), (position, entity)) for entity in kept)
            gone = self.freshness.claim_keys(changes.gone, changes.fetched_at)
            last.update((key, (position, None)) for key in gone)
        return last


def _stages(last: dict[EntityKey, _Change], *, cascade: bool) -> list[dict[EntityKey, _Change]]:
    """A group's last changes in the order they are written: all at once, or event by
    event when a deletion cascades (what a later event writes relating to an entity an
    earlier one deletes stays, as it would one by one; at once, it went along)."""
    if not cascade or all(entity is not None for _, entity in last.values()):
        return [last]
    positions = sorted({position for position, _ in last.values()})
    return [{k: change for k, change in last.items() if change[0] == p} for p in positions]


def _kept_for(key: EntityKey, dependents: list[EntityKey]) -> str:
    """Why an entity an event deletes stays: others relate to it, and the mapping keeps
    dependents (``deleteDependentEntities: false``)."""
    named = ", ".join(f"{blueprint}/{identifier}" for blueprint, identifier in dependents[:5])
    more = f" and {len(dependents) - 5} more" if len(dependents) > 5 else ""
    return (
        f"{key[0]}/{key[1]} was not deleted: {named}{more} relate to it and the mapping has "
        "deleteDependentEntities: false; delete those first, or set it to true"
    )


async def _owned(store: Store, owner: Owner, keys: list[EntityKey]) -> list[EntityKey]:
    """Those of ``keys`` that exist and that ``owner`` wrote."""
    by_blueprint: dict[str, list[str]] = defaultdict(list)
    for blueprint, identifier in keys:
        by_blueprint[blueprint].append(identifier)
    owned: list[EntityKey] = []
    for blueprint, identifiers in by_blueprint.items():
        query = {
            "combinator": "and",
            "rules": [
                {"property": "$blueprint", "operator": "=", "value": blueprint},
                {"property": "$identifier", "operator": "in", "value": identifiers},
                {"property": "$datasource", "operator": "contains", "value": f"port-ocean/{owner.integration_type}/"},
                {"property": "$datasource", "operator": "contains", "value": f"/{owner.identifier}/{owner.user_agent_type}"},
            ],
        }  # fmt: skip
        found = await store.search(query, include=["identifier"])
        owned += [(blueprint, str(entity["identifier"])) for entity in found]
    return owned


def _named(error: Exception) -> str:
    """An error's class as the log shows it (an internal one by the public one it is)."""
    public = next(c for c in type(error).__mro__ if not c.__name__.startswith("_"))
    return public.__name__


class _Unavailable(CatalogUnavailableError):
    """Some of a group's upserts could not be taken now (the Port API): ``written`` are
    those that were, whose claims stay."""

    def __init__(self, message: str, written: set[EntityKey]) -> None:
        super().__init__(message)
        self.written = written


def _key(entity: Entity) -> EntityKey:
    return str(entity["blueprint"]), str(entity["identifier"])
