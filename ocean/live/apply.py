"""Write what live-event processors returned, through the resync's mapping and writes.

Updated raw items are mapped with ``parse_all``: those the selector keeps are upserted
(unchanged ones are left alone), those it rejects are deleted. Deleted raw items are
mapped too and the entities the selector keeps are deleted. An entity both upserted and
deleted is kept. Only entities this integration owns are deleted, and no deletion
threshold applies (the original's rules).
"""

from __future__ import annotations

from collections import defaultdict

from ocean.live.processor import WebhookEventRawResults
from ocean.load.apply import load_entities
from ocean.load.freshness import Freshness
from ocean.mapping import PortAppConfig
from ocean.store.base import Owner, Store
from ocean.transform.mapper import CompiledResource
from ocean.types import Entity, EntityKey


async def apply_results(
    results: list[tuple[CompiledResource, WebhookEventRawResults]],
    *,
    store: Store,
    owner: Owner,
    mapping: PortAppConfig,
    freshness: Freshness,
    fetched_at: float,
) -> list[str]:
    """Upsert and delete (under ``freshness.lock``, held by the caller); returns the
    errors (mapping or writes), empty when all went in."""
    upserts: list[Entity] = []
    doomed: list[Entity] = []
    errors: list[str] = []
    for resource, raw in results:
        updated = resource.map_items(raw.updated_raw_results, parse_all=True)
        deleted = resource.map_items(raw.deleted_raw_results, parse_all=True)
        upserts += updated.passed
        doomed += updated.failed + deleted.passed
        errors += [f"kind {resource.kind!r}: {e}" for e in updated.errors + deleted.errors]
    kept = {_key(entity) for entity in upserts}
    upserts, _newer = freshness.claim(upserts, fetched_at)
    loaded = await load_entities(store, upserts, owner=owner, mapping=mapping)
    errors += loaded.errors
    gone = [key for key in dict.fromkeys(map(_key, doomed)) if key not in kept]
    gone = freshness.claim_keys(gone, fetched_at)
    if gone:
        await store.delete_entities(await _owned(store, owner, gone), delete_dependents=False)
    return errors


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
                {
                    "property": "$datasource",
                    "operator": "contains",
                    "value": f"port-ocean/{owner.integration_type}/",
                },
                {
                    "property": "$datasource",
                    "operator": "contains",
                    "value": f"/{owner.identifier}/{owner.user_agent_type}",
                },
            ],
        }
        found = await store.search(query, include=["identifier"])
        owned += [(blueprint, str(entity["identifier"])) for entity in found]
    return owned


def _key(entity: Entity) -> EntityKey:
    return str(entity["blueprint"]), str(entity["identifier"])
