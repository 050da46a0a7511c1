"""An integration's defaults in the catalog: its blueprints and its default mapping.

``ocean sail`` keeps the blueprints in step with ``blueprints.json`` on every start:
missing ones are created and safe changes applied (:mod:`ocean.blueprint_changes`);
unsafe ones are reported with the command that applies them, ``ocean defaults dock
--force``. ``ocean defaults dock`` does the same and records the mapping as the
integration's configuration; ``ocean defaults clean`` deletes the blueprints with their
entities, and nothing else: it refuses while other blueprints (or entities) relate to
them, unless told to take those blueprints too.
"""

from __future__ import annotations

import functools
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ocean.blueprint_changes import compare
from ocean.errors import ActionError, ConflictError, OceanError, StoreError
from ocean.installation import installation_record
from ocean.store.base import InstallsIntegrations, Owner, RemovesIntegrations, Store
from ocean.store.blueprint_removal import DeletesBlueprints
from ocean.store.validation import blueprint_problems
from ocean.types import EntityKey

_log = logging.getLogger(__name__)
_DELETE_BATCH = 500


@dataclass
class BlueprintSync:
    """What bringing the catalog's blueprints in step with the folder's did."""

    created: list[str] = field(default_factory=list)
    applied: list[str] = field(default_factory=list)
    """Changes made to existing blueprints: ``service: property 'url' added``."""
    unsafe: list[str] = field(default_factory=list)
    """Changes left out because they could break or drop stored entities."""

    def notes(self, command: str) -> list[str]:
        """One sentence per change left out, saying how to apply it."""
        return [
            f"blueprint {change}: not applied, as the blueprint has entities; review it, "
            f"then apply it with `{command}`"
            for change in self.unsafe
        ]


async def sync_blueprints(
    store: Store, blueprints: list[dict[str, Any]], *, force: bool = False
) -> BlueprintSync:
    """Create the missing blueprints and apply the safe changes to the others (``force``:
    every change); the unsafe changes left out are returned, and logged. A relation (and
    what reads through it) to a blueprint neither the folder nor the catalog has is left
    out with a warning: another integration's, made later (the next start adds it)."""
    if _targets(blueprints) - _names(blueprints):  # another's?
        names = _names(await store.list_blueprints())
        blueprints = without_unknown_targets(blueprints, names)
    sync = BlueprintSync(created=await store.create_blueprints(blueprints))
    existing = [bp for bp in blueprints if bp.get("identifier") not in sync.created]
    if not existing:
        return sync
    stored = {bp.get("identifier"): bp for bp in await store.list_blueprints()}
    changed = [
        wanted
        for wanted in existing
        if wanted.get("identifier") in stored
        and compare(stored[wanted["identifier"]], wanted, entities=0).safe
    ]
    _refuse_invalid(changed, stored)
    counts: dict[str, int] | None = None  # counted once, and only if a blueprint changed
    for wanted in changed:
        identifier = str(wanted["identifier"])
        counts = counts if counts is not None else await store.count_entities()
        entities = counts.get(identifier, 0)
        change = compare(stored[identifier], wanted, entities=entities)
        if change.whole if force else change.patch:  # made again of the blueprint as it is
            patch = functools.partial(_patch, wanted, entities, force)
            await store.change_blueprint(identifier, patch)
        applied = change.safe + (change.unsafe if force else [])
        sync.applied += [f"{identifier!r}: {phrase}" for phrase in applied]
        if not force:
            sync.unsafe += [f"{identifier!r}: {phrase}" for phrase in change.unsafe]
    for phrase in sync.applied:
        _log.info("blueprint %s: applied", phrase)
    return sync


def without_unknown_targets(
    blueprints: list[dict[str, Any]], stored: set[Any]
) -> list[dict[str, Any]]:
    """``blueprints`` without their relations to blueprints that are neither among them
    nor ``stored``, nor the mirror properties, ownership and aggregation properties that
    read through such a relation or count such a blueprint's entities (each logged)."""
    known = stored | _names(blueprints)
    kept = []
    for blueprint in blueprints:
        relations = _section(blueprint, "relations")
        gone = _unknown(relations, known)
        aggregations = _section(blueprint, "aggregationProperties")
        counted = _unknown(aggregations, known)
        if not gone and not counted:
            kept.append(blueprint)
            continue
        _log.warning(
            "blueprint %s: left out %s, as the catalog has no blueprint %s (another "
            "integration's?): sync that integration, or dock its defaults, and start again "
            "to add them", blueprint.get("identifier"),
            ", ".join([*(f"relation {n!r}" for n in sorted(gone)),
                       *(f"aggregation property {n!r}" for n in sorted(counted))]),
            " or ".join(sorted({str(relations[n]["target"]) for n in gone}
                               | {str(aggregations[n]["target"]) for n in counted})),
        )  # fmt: skip
        kept.append(_without(blueprint, gone, counted))
    return kept


def _targets(blueprints: list[dict[str, Any]]) -> set[str]:
    """The blueprints ``blueprints`` relate to or aggregate."""
    return {
        target
        for blueprint in blueprints
        for section in ("relations", "aggregationProperties")
        for one in _section(blueprint, section).values()
        if (target := _target(one)) is not None
    }


def _names(blueprints: list[dict[str, Any]]) -> set[str]:
    """The blueprints' identifiers (those that are text: any other is refused later)."""
    return {name for bp in blueprints if isinstance(name := bp.get("identifier"), str)}


def _section(blueprint: dict[str, Any], name: str) -> dict[str, Any]:
    """A blueprint's object field (empty when it is not one: refused by the catalog, which
    says why, rather than here)."""
    value = blueprint.get(name)
    return value if isinstance(value, dict) else {}


def _unknown(definitions: dict[str, Any], known: set[Any]) -> set[str]:
    """The names of ``definitions`` whose target is a blueprint not ``known``."""
    return {name for name, one in definitions.items() if _target(one) not in known | {None}}


def _target(definition: Any) -> str | None:
    """A relation's or aggregation's target blueprint (None when it names none as text)."""
    target = definition.get("target") if isinstance(definition, dict) else None
    return target if isinstance(target, str) else None


def _without(blueprint: dict[str, Any], gone: set[str], counted: set[str]) -> dict[str, Any]:
    def reads_gone(path: Any) -> bool:
        return isinstance(path, str) and path.split(".", 1)[0] in gone

    trimmed = dict(blueprint)
    if relations := _section(blueprint, "relations"):
        trimmed["relations"] = {k: v for k, v in relations.items() if k not in gone}
    if mirrors := _section(blueprint, "mirrorProperties"):
        trimmed["mirrorProperties"] = {
            k: v
            for k, v in mirrors.items()
            if not (isinstance(v, dict) and reads_gone(v.get("path")))
        }
    if aggregations := _section(blueprint, "aggregationProperties"):
        trimmed["aggregationProperties"] = {
            k: v for k, v in aggregations.items() if k not in counted
        }
    if reads_gone(_section(blueprint, "ownership").get("path")):
        del trimmed["ownership"]
    return trimmed


async def add_actions(store: Store, actions: list[dict[str, Any]]) -> list[str]:
    """Create those of the folder's ``actions`` (``.port/resources/actions.json``) the
    embedded catalog lacks; those it has are left as they are (edited, maybe), and one it
    refuses is logged. The identifiers of those created."""
    from ocean.actions.open import actions_of  # (the actions' modules: httpx, on use)

    if not actions:
        return []
    try:
        catalog = actions_of(store)
    except ActionError as error:  # (a catalog keeping none)
        _log.warning("the actions of actions.json were not created: %s", error)
        return []
    have = {action.get("identifier") for action in await catalog.list_actions()}
    created: list[str] = []
    for action in actions:
        if action.get("identifier") in have:
            continue
        try:
            created.append(str((await catalog.save_action(action, replace=False))["identifier"]))
        except OceanError as error:
            if isinstance(error, ActionError) and error.status == 409:
                continue  # made meanwhile (another replica starting): as wanted
            _log.warning("the action %s of actions.json was not created: %s",
                         action.get("identifier"), error)  # fmt: skip
    return created


def _patch(
    wanted: dict[str, Any], entities: int, force: bool, stored: dict[str, Any]
) -> dict[str, Any]:
    """The keys to merge into ``stored`` (as the catalog holds it when changed, not as it
    was read: a property another writer added meanwhile is kept) to apply the changes."""
    change = compare(stored, wanted, entities=entities)
    return change.whole if force else change.patch


def _refuse_invalid(changed: list[dict[str, Any]], stored: dict[Any, dict[str, Any]]) -> None:
    """Refuse the changed blueprints that Port's rules reject as they would be changed
    (a property typed ``str``), with entities or not: a mistake to fix in the folder,
    not an unsafe change to force."""
    known = {str(identifier) for identifier in stored}
    problems = []
    for wanted in changed:
        current = stored[wanted["identifier"]]
        whole = compare(current, wanted, entities=0).whole
        had = set(blueprint_problems(current, known))  # (stored under older rules: kept)
        problems += [p for p in blueprint_problems({**current, **whole}, known) if p not in had]
    if problems:
        raise StoreError("blueprints rejected:\n  - " + "\n  - ".join(problems))


async def dock(
    store: Store,
    owner: Owner,
    blueprints: list[dict[str, Any]],
    mapping: dict[str, Any],
    *,
    force: bool = False,
) -> BlueprintSync:
    """Create or update the blueprints (``force``: the unsafe changes too) and keep the
    mapping as the integration's configuration (in a Port catalog too, where resyncs map
    by it)."""
    sync = await sync_blueprints(store, blueprints, force=force)
    if isinstance(store, InstallsIntegrations):
        record = await store.register_integration(owner, changelog_destination=None, config=mapping)
        if record.get("config") != mapping:  # installed before: the folder's mapping applied
            await store.patch_integration(owner.identifier, {"config": mapping})
        return sync
    installed = functools.partial(_installed, installation_record(owner, mapping))
    await store.update_integration(owner.identifier, installed)  # (one transaction)
    return sync


def _installed(installation: dict[str, Any], record: dict[str, Any] | None) -> dict[str, Any]:
    """The integration's record with ``installation`` over it (module level: it may be
    sent to the catalog's process)."""
    return (record or {}) | installation


def dock_command(path: Path, catalog_url: str | None = None) -> str:
    """The command that applies a folder's blueprints as written."""
    where = f" --catalog {catalog_url}" if catalog_url else ""
    return f"ocean defaults dock {path}{where} --force"


@dataclass
class Cleaned:
    """What ``ocean defaults clean`` removed."""

    blueprints: list[str] = field(default_factory=list)
    entities: int = 0


@dataclass
class CleanPlan:
    """What ``ocean defaults clean`` would delete, and what stands in its way."""

    blueprints: list[str] = field(default_factory=list)
    """The folder's blueprints the catalog has, then (``with_related``) those relating to them."""
    related: list[str] = field(default_factory=list)
    """Relations of other blueprints into :attr:`blueprints`: ``deployment.team → team``."""
    taken: list[str] = field(default_factory=list)
    """Blueprints outside the folder that relate to it, deleted too (``with_related``)."""
    entities: int = 0
    outside: list[str] = field(default_factory=list)
    """Entities outside :attr:`blueprints` relating to theirs: ``deployment/dep-1 → team/a``."""

    def refusal(self) -> str | None:
        """Why nothing may be deleted (and what to do), or None."""
        if self.related and not self.taken:
            return (
                f"other blueprints relate to the integration's blueprints "
                f"({', '.join(self.related)}): deleting would break them, so nothing was "
                f"deleted; remove those relations (or delete those blueprints) first, or run "
                "again with --with-related to delete them and their entities too"
            )
        if self.outside:
            shown = ", ".join(self.outside[:5]) + (" ..." if len(self.outside) > 5 else "")
            return (
                f"{len(self.outside)} entities of other blueprints relate to the entities to "
                f"delete ({shown}), so nothing was deleted; delete those entities or their "
                "relations first"
            )
        return None


def _relating(stored: list[dict[str, Any]], names: set[str]) -> dict[str, list[str]]:
    """The blueprints outside ``names`` with relations into them, each with those."""
    found: dict[str, list[str]] = {}
    for bp in stored:
        identifier = str(bp.get("identifier"))
        for name, relation in dict(bp.get("relations") or {}).items():
            target = relation.get("target") if isinstance(relation, dict) else None
            if identifier not in names and target in names:
                found.setdefault(identifier, []).append(f"{identifier}.{name} → {target}")
    return found


async def plan_clean(
    store: Store, blueprints: list[dict[str, Any]], *, with_related: bool = False
) -> CleanPlan:
    """What cleaning the folder's ``blueprints`` deletes: the blueprints the catalog has
    and (``with_related``) every other blueprint relating to them, in turn; deletes nothing."""
    stored = await store.list_blueprints()
    have = {bp.get("identifier") for bp in stored}
    plan = CleanPlan([str(bp["identifier"]) for bp in blueprints if bp.get("identifier") in have])
    relating = _relating(stored, set(plan.blueprints))
    while relating:
        plan.related += [phrase for phrases in relating.values() for phrase in phrases]
        if not with_related:
            break
        plan.taken += sorted(relating)
        plan.blueprints += sorted(relating)
        relating = _relating(stored, set(plan.blueprints))
    counts = await store.count_entities()
    plan.entities = sum(counts.get(identifier, 0) for identifier in plan.blueprints)
    if plan.refusal() is None:
        plan.outside = await _outside_dependents(store, plan.blueprints)
    return plan


async def _entity_keys(store: Store, names: list[str]) -> list[EntityKey]:
    return [(name, str(e["identifier"])) for name in names async for e in store.iter_entities(name)]


async def _outside_dependents(store: Store, names: list[str]) -> list[str]:
    """Entities of blueprints outside ``names`` that relate to entities of ``names``."""
    keys = await _entity_keys(store, names)
    moment = await store.now()
    found: set[str] = set()
    for start in range(0, len(keys), _DELETE_BATCH):
        of = (await store.dependents(keys[start : start + _DELETE_BATCH], after=moment)).of
        found |= {
            f"{bp}/{identifier} → {target[0]}/{target[1]}"
            for target, users in of.items()
            for bp, identifier in users
            if bp not in names
        }
    return sorted(found)


async def clean(store: Store, plan: CleanPlan) -> Cleaned:
    """Delete the blueprints of ``plan`` (:func:`plan_clean`) with their entities, and
    nothing else: :class:`ConflictError`, having deleted nothing, when something outside
    them relates to them."""
    if not isinstance(store, DeletesBlueprints):
        raise StoreError(
            "this catalog cannot delete blueprints through Ocean; delete them in the "
            "catalog's own interface (in Port: the blueprint's ... menu, Delete all entities)"
        )
    refusal = plan.refusal()
    if refusal is not None:
        raise ConflictError(refusal)
    cleaned = Cleaned(entities=await _delete_entities(store, plan.blueprints))
    mine = [identifier for identifier in plan.blueprints if identifier not in plan.taken]
    for identifier in mine:  # relations among them first: one may target another
        await store.update_blueprint(identifier, {"relations": {}, "mirrorProperties": {}})
    taken = [identifier for identifier in plan.blueprints if identifier in plan.taken]
    await _delete_taken(store, store, taken, cleaned)
    for identifier in mine:
        await store.delete_blueprint(identifier)
        cleaned.blueprints.append(identifier)
    return cleaned


async def _delete_taken(
    store: Store, deleting: DeletesBlueprints, taken: list[str], cleaned: Cleaned
) -> None:
    """Delete the other blueprints relating to the folder's (``--with-related``), each once
    none of the others left relates to it, with their relations kept until then: a clean
    stopped in between finds those left again by the relations that made them taken (with
    theirs cleared first, it would leave them behind). Blueprints relating to each other in
    a circle are cleared of their relations first (a clean stopped then may leave them)."""
    left = list(taken)
    while left:
        targets = _targets_among(await store.list_blueprints(), set(left))
        free = [name for name in left
                if not any(name in aims for other, aims in targets.items() if other != name)]  # fmt: skip
        if not free:  # a circle: no order keeps every relation until its blueprint goes
            for identifier in left:
                await store.update_blueprint(identifier, {"relations": {}, "mirrorProperties": {}})
            free = list(left)
        for identifier in free:
            await deleting.delete_blueprint(identifier)
            cleaned.blueprints.append(identifier)
            left.remove(identifier)


def _targets_among(stored: list[dict[str, Any]], names: set[str]) -> dict[str, set[str]]:
    """Each of ``names`` with the blueprints of ``names`` its relations target."""
    return {
        str(bp.get("identifier")): {
            str(relation["target"])
            for relation in dict(bp.get("relations") or {}).values()
            if isinstance(relation, dict) and relation.get("target") in names
        }
        for bp in stored
        if bp.get("identifier") in names
    }


async def destroy_integration(store: Store, identifier: str) -> bool:
    """Delete the integration's record (``defaults clean --destroy``); whether it had one."""
    if not isinstance(store, RemovesIntegrations):
        raise StoreError(
            f"the catalog {type(store).__name__} cannot delete integration records; "
            "delete the integration where it is kept"
        )
    return await store.delete_integration(identifier)


async def _delete_entities(store: Store, names: list[str]) -> int:
    """Delete every entity of ``names`` without cascading: one another of them relates to
    is kept by its batch, and deleted in a later pass once that one is gone."""
    keys = await _entity_keys(store, names)
    deleted = 0
    while keys:
        blocked: dict[EntityKey, list[EntityKey]] = {}
        for start in range(0, len(keys), _DELETE_BATCH):
            batch = keys[start : start + _DELETE_BATCH]
            result = await store.delete_entities(batch, delete_dependents=False)
            deleted += len(result.deleted)
            blocked |= result.blocked
        if len(blocked) == len(keys):  # no progress: something outside relates to them
            users = sorted({f"{bp}/{i}" for found in blocked.values() for bp, i in found})
            raise ConflictError(
                f"{len(blocked)} entities to delete are still related to by others "
                f"({', '.join(users[:5])}); delete those first, then run again"
            )
        keys = sorted(blocked)
    return deleted
