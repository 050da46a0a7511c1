"""Every write the catalog server makes goes through :class:`WriteGateway`: entity upserts
(bulk, single, by hand), entity deletes, blueprint creates, changes and deletes.

It is the one place where a write meets its caller (:class:`~ocean.server.caller.Caller`),
so that rules on who may write what apply to every route alike, and where the audit log
gets its entries (:mod:`ocean.store.audit`): one per entity or blueprint written, with the
caller's credential and datasource, the action, whether it succeeded and a summary of the
change (the stored state is read before the write to compute it). Entities sent
unchanged with ``only_changed`` are not written, so not audited (a live event's are
written, and audited). The audit entries are
appended after the write, in a transaction of their own.
"""

from __future__ import annotations

import contextlib
import logging
from collections import defaultdict
from collections.abc import AsyncIterator
from typing import Any

from ocean.entity_calls import verdicts
from ocean.errors import CatalogUnavailableError, ConflictError, ForbiddenError, StoreError
from ocean.server.access import Ownership
from ocean.server.audit import AuditLog
from ocean.server.caller import Caller
from ocean.server.grouping import GroupedWrites, written
from ocean.store.audit import AuditEntry, diff_summary
from ocean.store.base import (
    CreatesOnly,
    DeleteResult,
    HoldsRules,
    Store,
    WriteOutcome,
    already_exists,
    now_iso,
)
from ocean.store.blocked import kept_in_use
from ocean.store.blueprint_removal import DeletesBlueprints
from ocean.store.entity_rules import Edge, EntityRules, rules_by_blueprint
from ocean.store.plan import missing_error
from ocean.store.search_values import ResolvesSearches, has_searches, resolved_in
from ocean.store.validation import identifier_problem
from ocean.store.writes import entity_of, made_by, merged
from ocean.types import Entity, EntityKey

_log = logging.getLogger(__name__)

_ACTIONS = {"created": "CREATE", "updated": "UPDATE"}
_STAMPS = ("createdAt", "updatedAt", "createdBy", "updatedBy")


class WriteGateway:
    def __init__(self, store: Store, audit: AuditLog | None = None) -> None:
        self.store = store
        self.audit = audit or AuditLog(store)
        self._grouped = GroupedWrites(store)
        self.ownership = Ownership(store)

    async def upsert(
        self,
        caller: Caller,
        entities: list[Entity],
        *,
        grouped: bool = False,
        create_only: bool = False,
        update_only: bool = False,
        **options: Any,
    ) -> list[WriteOutcome]:
        """As :meth:`Store.upsert_entities` (``options``: ``merge``,
        ``create_missing_related``, ``only_changed``), as ``caller``; ``grouped``: in one
        transaction with concurrent bulk calls (:class:`GroupedWrites`); ``create_only``:
        an entity that exists fails (``conflict``) rather than being written, as the write's
        transaction finds it where the catalog :class:`CreatesOnly` (SQLite, PostgreSQL);
        ``update_only`` (not grouped): one that is not stored fails (``not_found``) rather
        than being made, where the catalog :class:`UpdatesOnly` (elsewhere the caller checks
        first). Search identifiers and relations are resolved first
        (:mod:`ocean.store.search_values`): one that matches nothing fails as Port's
        (identifier ``unknown``)."""
        if not isinstance(self.store, ResolvesSearches) and any(map(has_searches, entities)):
            resolved = await resolved_in(self.store, entities, unknown_fails=True)
            if not resolved.entities:
                return resolved.outcomes([])
            outcomes = await self.upsert(
                caller,
                resolved.entities,
                grouped=grouped,
                create_only=create_only,
                update_only=update_only,
                **options,
            )
            return resolved.outcomes(outcomes)
        in_transaction = create_only and isinstance(self.store, CreatesOnly)
        if in_transaction:  # whether each exists is read in the write's transaction
            options["create_only"] = True
        if update_only:
            options["update_only"] = True
        allowed, denied, before = await self._screened(
            caller, entities, create_only=create_only and not in_transaction
        )
        sent = [entities[i] for i in allowed] if denied else entities
        if grouped:
            outcomes = await self._grouped.upsert(sent, owner=caller.owner, **options)
        else:
            outcomes = await written(self.store, sent, owner=caller.owner, **options)
        made = made_by(outcomes)
        if denied:
            outcomes = _with_refused(entities, allowed, outcomes, denied)
        merge = bool(options.get("merge"))
        asked = "CREATE" if create_only else "UPDATE" if update_only else None
        defined = await self._defined_fields(outcomes)
        await self._audit(
            [
                _upserted(caller, entities[o.index], o, before, merge, asked, defined)
                for o in outcomes
            ]
            + [_entry(caller, "CREATE", "entity", key, _placeholder(key)) for key in made]
        )
        return outcomes

    async def _defined_fields(self, outcomes: list[WriteOutcome]) -> dict[str, EntityRules]:
        """Each written entity's blueprint rules (what the catalog kept of a body: what they
        do not define was dropped, and is not audited as written); read only when an entity
        was written and the audit log is kept."""
        written = {o.blueprint for o in outcomes if o.ok and o.status in _ACTIONS}
        if not self.audit.keeping or not written:
            return {}
        if isinstance(self.store, HoldsRules):  # as the write left them: no read
            held = self.store.rules_held()
            if written <= held.keys():
                return dict(held)
        return rules_by_blueprint(await self.store.list_blueprints())

    async def validate(
        self,
        caller: Caller,
        entities: list[Entity],
        blueprint: dict[str, Any],
        *,
        create_only: bool = False,
        merge: bool = False,
        create_missing_related: bool = False,
    ) -> list[WriteOutcome]:
        """``validation_only=true``: each entity's outcome as :meth:`upsert` would answer it,
        nothing written: refused as the caller may not write it (``forbidden``), as it exists
        when only creating (``conflict``), as ``blueprint``'s rules find it invalid (with
        ``merge``, the sent fields merged over the stored entity, as the write checks it),
        or as a relation target does not exist (``not_found``, unless
        ``create_missing_related``); those that pass are ``unchanged``. Search identifiers
        and relations are resolved first, as :meth:`upsert` resolves them (one matching
        nothing fails as Port's: identifier ``unknown``)."""
        if not isinstance(self.store, ResolvesSearches) and any(map(has_searches, entities)):
            resolved = await resolved_in(self.store, entities, unknown_fails=True)
            answered: list[WriteOutcome] = []
            if resolved.entities:
                answered = await self.validate(
                    caller,
                    resolved.entities,
                    blueprint,
                    create_only=create_only,
                    merge=merge,
                    create_missing_related=create_missing_related,
                )
            return resolved.outcomes(answered)
        allowed, denied, before = await self._screened(caller, entities, create_only=create_only)
        rules = EntityRules(blueprint)
        checked = [_as_written(entities[i], before, rules, merge) for i in allowed]
        outcomes = verdicts(checked, blueprint)
        if not create_missing_related:
            await self._missing_targets(outcomes, checked, rules)
        return _with_refused(entities, allowed, outcomes, denied) if denied else outcomes

    async def _missing_targets(
        self, outcomes: list[WriteOutcome], entities: list[Entity], rules: EntityRules
    ) -> None:
        """Fail (``not_found``, as the write does) each valid entity relating to an entity
        that neither exists nor is made by this request (a creation that fails is missing
        too, for those relating to it)."""
        edges = {o.index: rules.edges(dict(entities[o.index])) for o in outcomes if o.ok}
        wanted: dict[str, set[str]] = defaultdict(set)
        for found in edges.values():
            for _, target_blueprint, target in found:
                wanted[target_blueprint].add(target)
        stored: set[EntityKey] = set()
        for target_blueprint, identifiers in wanted.items():
            found_now = await self.store.get_entities(target_blueprint, sorted(identifiers))
            stored |= {(target_blueprint, identifier) for identifier in found_now}
        existing = stored | {(str(o.blueprint), str(o.identifier)) for o in outcomes if o.ok}
        while failed := _fail_missing(outcomes, edges, existing):
            existing -= failed - stored

    async def delete(
        self, caller: Caller, keys: list[EntityKey], *, delete_dependents: bool, whole: bool = False
    ) -> DeleteResult:
        """Delete entities (with their dependents, or keeping those others relate to);
        :class:`~ocean.errors.ForbiddenError` when any is not the caller's to delete.
        ``whole`` (without ``delete_dependents``): none when any would be kept, those named
        in ``blocked`` (an entity related to meanwhile is still kept alone)."""
        checked = None
        if caller.principal is not None:
            try:
                checked = await self.ownership.check_delete(
                    caller.principal, keys, delete_dependents=delete_dependents
                )
            except ForbiddenError as refusal:  # a refused delete is audited, as a refused upsert
                failure = f"forbidden: {refusal}"
                await self._audit(
                    [_entry(caller, "DELETE", "entity", k, {}, failure) for k in keys]
                )
                raise
        if whole and not delete_dependents:
            found = await self.store.dependents(keys, after=now_iso())
            if blocked := kept_in_use(set(keys), found.of):
                return DeleteResult(deleted=[], blocked=blocked)
        if checked is not None:
            # the cascade as checked, no further: what relates to it since is not the
            # caller's to delete, and keeps what it relates to (answered as kept)
            result = await self.store.delete_entities(checked, delete_dependents=False)
        else:
            result = await self.store.delete_entities(keys, delete_dependents=delete_dependents)
        await self._audit(
            [
                _entry(caller, "DELETE", "entity", (blueprint, identifier), {})
                for blueprint, identifier in result.deleted
            ]
        )
        return result

    async def create_blueprint(self, caller: Caller, blueprint: dict[str, Any]) -> None:
        """Create ``blueprint``; :class:`ConflictError` when it exists (made meanwhile by
        another request: the store skips what it holds)."""
        identifier = blueprint["identifier"]
        async with self._refusal_audited(caller, "CREATE", identifier):
            if identifier not in await self.store.create_blueprints([blueprint]):
                raise ConflictError(
                    f"blueprint {identifier!r} already exists: change it with "
                    f"PUT or PATCH /v1/blueprints/{identifier}"
                )
        summary = _keys_summary(None, blueprint)
        await self._audit(
            [_entry(caller, "CREATE", "blueprint", (blueprint["identifier"], None), summary)]
        )

    async def update_blueprint(
        self, caller: Caller, before: dict[str, Any], patch: dict[str, Any]
    ) -> dict[str, Any] | None:
        """Merge ``patch``'s top-level keys into the blueprint ``before`` (None: it is gone)."""
        identifier = before["identifier"]
        async with self._refusal_audited(caller, "UPDATE", identifier):
            updated = await self.store.update_blueprint(identifier, patch)
        if updated is not None:
            summary = _keys_summary(before, updated)
            await self._audit([_entry(caller, "UPDATE", "blueprint", (identifier, None), summary)])
        return updated

    async def delete_blueprint(self, caller: Caller, identifier: str) -> None:
        """Delete a blueprint without entities (see :class:`DeletesBlueprints`)."""
        store = self.store
        if not isinstance(store, DeletesBlueprints):
            raise TypeError(f"{type(store).__name__} cannot delete blueprints")
        async with self._refusal_audited(caller, "DELETE", identifier):
            await store.delete_blueprint(identifier)
        await self._audit([_entry(caller, "DELETE", "blueprint", (identifier, None), {})])

    @contextlib.asynccontextmanager
    async def _refusal_audited(
        self, caller: Caller, action: str, blueprint: str
    ) -> AsyncIterator[None]:
        """A change of ``blueprint`` the catalog refuses (it exists, is invalid, still has
        entities) is audited as a failure, as a refused entity write is, then raised."""
        try:
            yield
        except StoreError as refusal:
            if not isinstance(refusal, CatalogUnavailableError):  # (nor could it be logged)
                entry = _entry(caller, action, "blueprint", (blueprint, None), {}, str(refusal))
                try:
                    await self._audit([entry])
                except Exception:  # the refusal is the answer, not the log's failure
                    _log.exception("the audit log could not record a refused %s", action)
            raise

    async def _screened(
        self, caller: Caller, entities: list[Entity], *, create_only: bool
    ) -> tuple[list[int], dict[int, str], dict[EntityKey, Entity]]:
        """The positions of the entities ``caller`` may write, why each other one is
        refused (``forbidden``; with ``create_only``, ``conflict`` where it is stored), and
        the stored state of those it may write."""
        allowed, refusals = await self._permitted(caller, entities)
        denied = {i: f"forbidden: {why}" for i, why in refusals.items()}
        # (the refused ones' too: their audit entries say whether they were to be updated)
        before = await self._stored(entities)
        if create_only:
            taken = {i for i in allowed if _key(entities[i]) in before}
            denied |= {i: already_exists(_key(entities[i])) for i in taken}
            allowed = [i for i in allowed if i not in taken]
        return allowed, denied, before

    async def _permitted(
        self, caller: Caller, entities: list[Entity]
    ) -> tuple[list[int], dict[int, str]]:
        """The positions of the entities the caller may write, and why the others not."""
        if caller.principal is None:
            return list(range(len(entities))), {}
        return await self.ownership.partition(caller.principal, entities)

    async def _stored(self, entities: list[Entity]) -> dict[EntityKey, Entity]:
        """The stored state of the entities about to be written (for the diff summaries)."""
        wanted: dict[str, list[str]] = defaultdict(list)
        for entity in entities:
            if identifier_problem(entity.get("identifier")) is None:  # else refused, unread
                wanted[str(entity.get("blueprint"))].append(entity["identifier"])
        found: dict[EntityKey, Entity] = {}
        for blueprint, identifiers in wanted.items():
            stored = await self.store.get_entities(blueprint, identifiers)
            found.update({(blueprint, ident): entity for ident, entity in stored.items()})
        return found

    async def _audit(self, entries: list[AuditEntry | None]) -> None:
        await self.audit.record([entry for entry in entries if entry is not None])


def _with_refused(
    entities: list[Entity],
    allowed: list[int],
    outcomes: list[WriteOutcome],
    denied: dict[int, str],
) -> list[WriteOutcome]:
    """The outcomes of the entities written, at their places among all, and a failure
    for each refused one (``denied``: why, by position)."""
    for outcome in outcomes:
        outcome.index = allowed[outcome.index]
    refused = [
        WriteOutcome(
            i,
            entities[i].get("identifier"),
            str(entities[i].get("blueprint")),
            "failed",
            why,
        )
        for i, why in denied.items()
    ]
    return sorted([*outcomes, *refused], key=lambda o: o.index)


def _as_written(
    entity: Entity, before: dict[EntityKey, Entity], rules: EntityRules, merge: bool
) -> Entity:
    """``entity`` as a write would check it: with ``merge``, its fields over the stored
    entity's (what the blueprint still defines of it), else as sent."""
    stored = before.get(_key(entity)) if merge else None
    if stored is None:
        return entity
    sent = {k: v for k, v in entity.items() if k not in ("identifier", "blueprint")}
    body = merged(rules.defined(dict(entity_of(dict(stored)))), sent)
    return body | {"identifier": entity["identifier"], "blueprint": entity.get("blueprint")}  # type: ignore[return-value]


def _key(entity: Entity) -> EntityKey:
    return str(entity.get("blueprint")), str(entity.get("identifier"))


def _upserted(
    caller: Caller,
    sent: Entity,
    outcome: WriteOutcome,
    before: dict[EntityKey, Entity],
    merge: bool,
    asked: str | None = None,
    defined: dict[str, EntityRules] | None = None,
) -> AuditEntry | None:
    """The audit entry of one upsert's outcome (None: unchanged, nothing written); a
    write that failed is the action asked for (``asked``: ``CREATE`` or ``UPDATE`` only;
    a create refused as the entity exists, an update refused as it is gone)."""
    key = (outcome.blueprint, str(outcome.identifier))
    old = before.get(key)
    if not outcome.ok:
        action = asked or ("UPDATE" if old is not None else "CREATE")
        return _entry(caller, action, "entity", key, {}, outcome.error or "failed")
    if outcome.status not in _ACTIONS:
        return None
    body: dict[str, Any] = {k: v for k, v in sent.items() if k not in ("identifier", "blueprint")}
    if (rules := (defined or {}).get(outcome.blueprint)) is not None:
        body = rules.defined(body, computed=True)
    stored = dict(old) if old is not None else None
    new = merged(stored, body) if merge and stored is not None else body
    return _entry(caller, _ACTIONS[outcome.status], "entity", key, diff_summary(stored, new))


def _placeholder(key: EntityKey) -> dict[str, Any]:
    """The audit diff of an entity made for a missing relation target: its title."""
    return diff_summary(None, {"title": key[1]})


def _entry(
    caller: Caller,
    action: str,
    resource: str,
    key: tuple[str, str | None],
    diff: dict[str, Any],
    failure: str | None = None,
) -> AuditEntry:
    """An audit entry of ``caller``'s write; ``failure``: why it failed (else it succeeded)."""
    return AuditEntry(
        action=action,
        resource_type=resource,
        blueprint=key[0],
        entity=key[1],
        credential=caller.credential,
        datasource=caller.owner.datasource,
        origin=caller.origin,
        status="SUCCESS" if failure is None else "FAILURE",
        diff=diff,
        message=failure,
    )


def _keys_summary(before: dict[str, Any] | None, after: dict[str, Any]) -> dict[str, Any]:
    """A blueprint change as the top-level keys added, removed and changed."""
    old = {k: v for k, v in (before or {}).items() if k not in _STAMPS}
    new = {k: v for k, v in after.items() if k not in _STAMPS}
    return {
        "added": sorted(new.keys() - old.keys()),
        "removed": sorted(old.keys() - new.keys()),
        "changed": sorted(k for k in old.keys() & new.keys() if old[k] != new[k]),
    }


def _fail_missing(
    outcomes: list[WriteOutcome], edges: dict[int, list[Edge]], existing: set[EntityKey]
) -> set[EntityKey]:
    """Fail the valid outcomes relating to what is not ``existing``: their keys."""
    failed: set[EntityKey] = set()
    for outcome in outcomes:
        if not outcome.ok:
            continue
        missing = {(bp, t) for _, bp, t in edges.get(outcome.index, [])} - existing
        if missing and (error := missing_error(edges[outcome.index], missing)) is not None:
            outcome.status, outcome.error = "failed", error
            failed.add((str(outcome.blueprint), str(outcome.identifier)))
    return failed
