"""An integration's defaults in the catalog: its blueprints and its default mapping.

``ocean sail`` keeps the blueprints in step with ``blueprints.json`` on every start:
missing ones are created and safe changes applied (:mod:`ocean.blueprint_changes`);
unsafe ones are reported with the command that applies them, ``ocean defaults dock
--force``. ``ocean defaults dock`` does the same and records the mapping as the
integration's configuration; ``ocean defaults clean`` deletes the blueprints with their
entities.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ocean.blueprint_changes import compare
from ocean.errors import StoreError
from ocean.installation import installation_record
from ocean.store.base import InstallsIntegrations, Owner, Store
from ocean.store.blueprint_removal import DeletesBlueprints

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
    every change); the unsafe changes left out are returned, and logged."""
    sync = BlueprintSync(created=await store.create_blueprints(blueprints))
    existing = [bp for bp in blueprints if bp.get("identifier") not in sync.created]
    if not existing:
        return sync
    stored = {bp.get("identifier"): bp for bp in await store.list_blueprints()}
    counts: dict[str, int] | None = None  # counted once, and only if a blueprint changed
    for wanted in existing:
        identifier = str(wanted["identifier"])
        if identifier not in stored or not compare(stored[identifier], wanted, entities=0).safe:
            continue
        counts = counts if counts is not None else await store.count_entities()
        change = compare(stored[identifier], wanted, entities=counts.get(identifier, 0))
        patch = change.whole if force else change.patch
        if patch:
            await store.update_blueprint(identifier, patch)
        applied = change.safe + (change.unsafe if force else [])
        sync.applied += [f"{identifier!r}: {phrase}" for phrase in applied]
        if not force:
            sync.unsafe += [f"{identifier!r}: {phrase}" for phrase in change.unsafe]
    for phrase in sync.applied:
        _log.info("blueprint %s: applied", phrase)
    return sync


async def dock(
    store: Store,
    owner: Owner,
    blueprints: list[dict[str, Any]],
    mapping: dict[str, Any],
    *,
    force: bool = False,
) -> BlueprintSync:
    """Create or update the blueprints (``force``: the unsafe changes too) and keep the
    mapping as the integration's configuration (in a Port catalog: when it installs it)."""
    sync = await sync_blueprints(store, blueprints, force=force)
    if isinstance(store, InstallsIntegrations):
        await store.register_integration(owner, changelog_destination={}, config=mapping)
        return sync
    record = await store.get_integration(owner.identifier) or {}
    await store.save_integration(owner.identifier, record | installation_record(owner, mapping))
    return sync


def dock_command(path: Path, catalog_url: str | None = None) -> str:
    """The command that applies a folder's blueprints as written."""
    where = f" --catalog {catalog_url}" if catalog_url else ""
    return f"ocean defaults dock {path}{where} --force"


@dataclass
class Cleaned:
    """What ``ocean defaults clean`` removed."""

    blueprints: list[str] = field(default_factory=list)
    entities: int = 0


async def clean(store: Store, blueprints: list[dict[str, Any]]) -> Cleaned:
    """Delete the folder's blueprints that the catalog has, with all their entities (and
    entities of other blueprints relating to them)."""
    if not isinstance(store, DeletesBlueprints):
        raise StoreError(
            "this catalog cannot delete blueprints through Ocean; delete them in the "
            "catalog's own interface (in Port: the blueprint's ... menu, Delete all entities)"
        )
    stored = {bp.get("identifier") for bp in await store.list_blueprints()}
    mine = [str(bp["identifier"]) for bp in blueprints if bp.get("identifier") in stored]
    cleaned = Cleaned()
    for identifier in mine:
        keys = [(identifier, str(e["identifier"])) async for e in store.iter_entities(identifier)]
        for start in range(0, len(keys), _DELETE_BATCH):
            batch = keys[start : start + _DELETE_BATCH]
            cleaned.entities += len((await store.delete_entities(batch)).deleted)
    for identifier in mine:  # relations among them first: one may target another
        await store.update_blueprint(identifier, {"relations": {}})
    for identifier in mine:
        await store.delete_blueprint(identifier)
        cleaned.blueprints.append(identifier)
    return cleaned
