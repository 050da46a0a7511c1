"""Entities an integration writes, checks or looks up itself, one call at a time, outside
its resyncs and live events: Port's ``POST /v1/blueprints/{blueprint}/entities`` (with
``validation_only``) and ``POST /v1/entities/search`` narrowed to what the integration
wrote (its datasource), over any catalog; and entities it maps itself (the original's
``ocean.update_diff`` and ``ocean.unregister``: GitOps files, deleted cloud resources)
written or deleted at once. The compatibility layer's ``port_client`` makes these calls;
the catalog server answers its own routes with the same rules (:func:`verdicts`)."""

from __future__ import annotations

from typing import Any

from ocean.mapping import PortAppConfig
from ocean.store.base import Owner, Store, WriteOutcome
from ocean.store.entity_rules import EntityRules
from ocean.store.port.requests import group_keys, identifier_query
from ocean.store.validation import identifier_problem
from ocean.store.writes import identifier_text
from ocean.types import Entity, EntityKey


def verdicts(entities: list[Entity], blueprint: dict[str, Any]) -> list[WriteOutcome]:
    """Each entity's verdict under its blueprint, nothing written: ``failed`` with every
    problem its identifier and its blueprint's rules find, else ``unchanged``."""
    rules, outcomes = EntityRules(blueprint), []
    for index, entity in enumerate(entities):
        identifier = entity.get("identifier")
        error = identifier_problem(identifier) or "; ".join(rules.problems(dict(entity))) or None
        status = "failed" if error else "unchanged"
        outcomes.append(WriteOutcome(index, identifier, blueprint["identifier"], status, error))
    return outcomes


async def entity_call(
    store: Store,
    entity: Entity,
    *,
    owner: Owner,
    merge: bool,
    create_missing_related: bool,
    validation_only: bool = False,
) -> tuple[WriteOutcome, Entity]:
    """Upsert one entity as ``owner`` (``validation_only``: only check it, as
    :func:`verdicts`), its blueprint looked up first as the catalog server's route does
    (missing: ``not_found``). Returns its outcome and the entity as the catalog then holds
    it (the one sent when it was only checked, or failed)."""
    blueprint = str(entity.get("blueprint"))
    definition = next(
        (found for found in await store.list_blueprints() if found["identifier"] == blueprint),
        None,
    )
    if definition is None:
        error = f"not_found: blueprint {blueprint!r} does not exist in the catalog"
        identifier = identifier_text(entity.get("identifier"))
        return WriteOutcome(0, identifier, blueprint, "failed", error), entity
    if validation_only:
        return verdicts([entity], definition)[0], entity
    (outcome,) = await store.upsert_entities(
        [entity], owner=owner, merge=merge, create_missing_related=create_missing_related
    )
    if not outcome.ok:
        return outcome, entity
    identifier = str(outcome.identifier)
    stored = (await store.get_entities(blueprint, [identifier])).get(identifier)
    return outcome, stored if stored is not None else entity


def keys_query(keys: list[EntityKey]) -> dict[str, Any]:
    """A query matching the entities with any of ``keys`` (none: nothing)."""
    groups = [identifier_query(bp, identifiers) for bp, identifiers in group_keys(keys).items()]
    return groups[0] if len(groups) == 1 else {"combinator": "or", "rules": groups}


async def owned_keys(store: Store, owner: Owner, *, before: str | None = None) -> list[EntityKey]:
    """The keys of the entities ``owner`` wrote (``before``: and has not written since),
    sorted: what the catalog server's datasource-entities route pages through."""
    return sorted(await store.owned_keys(owner, before=before))


async def apply_diff(
    store: Store,
    before: list[Entity],
    after: list[Entity],
    *,
    owner: Owner,
    mapping: PortAppConfig,
) -> list[str]:
    """Write every entity of ``after`` as ``owner`` (the mapping's merge and relation
    settings), then delete those of ``before`` that ``after`` has no longer, whoever wrote
    them (with what relates to them when the mapping deletes dependents), as the original's
    ``update_diff`` does; with ``createMissingRelatedEntities`` those the written entities
    relate to are kept (deleting one would take the entity just written along). Returns the
    errors: each entity the catalog refused, each it kept because others relate to it."""
    # imported here: the catalog server imports this module and writes no mapped entities
    from ocean.load.apply import failure_message, write_entities

    outcomes = await write_entities(
        store, after, owner=owner, mapping=mapping, only_changed=False, searches=True
    )
    errors = [failure_message(outcome) for outcome in outcomes if not outcome.ok]
    # what was written, by the identifiers the catalog answered too (a search identifier's
    # entity is the one it found, as the original compares it: not gone)
    written = [(str(o.blueprint), identifier_text(o.identifier)) for o in outcomes if o.ok]
    kept = {_key(entity) for entity in after} | set(written)
    gone = [key for key in dict.fromkeys(map(_key, before)) if key not in kept]
    if gone and mapping.create_missing_related_entities:
        related = await _related(store, written)
        gone = [key for key in gone if key not in related]
    if gone:
        cascade = mapping.delete_dependent_entities
        result = await store.delete_entities(gone, delete_dependents=cascade)
        errors += [
            f"entity {identifier!r} of blueprint {blueprint!r} was not deleted: "
            f"{len(dependents)} other entities relate to it"
            for (blueprint, identifier), dependents in result.blocked.items()
        ]
    return errors


def _key(entity: Entity) -> EntityKey:
    return str(entity.get("blueprint")), identifier_text(entity.get("identifier"))


async def _related(store: Store, written: list[EntityKey]) -> set[EntityKey]:
    """The keys the ``written`` entities relate to, as the catalog holds them (a relation
    given as a search query resolved), each relation's target blueprint its blueprint's."""
    targets = {
        (str(blueprint["identifier"]), name): str(relation.get("target"))
        for blueprint in await store.list_blueprints()
        for name, relation in (blueprint.get("relations") or {}).items()
    }
    stored = [
        (blueprint, entity)
        for blueprint, identifiers in group_keys(written).items()
        for entity in (await store.get_entities(blueprint, identifiers)).values()
    ]
    return {
        (target, identifier_text(identifier))
        for blueprint, entity in stored
        for name, value in (entity.get("relations") or {}).items()
        if (target := targets.get((blueprint, name))) is not None
        for identifier in (value if isinstance(value, list) else [value])
        if identifier is not None and not isinstance(identifier, dict)
    }
