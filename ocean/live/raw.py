"""Raw items an integration hands over outside a resync (the original's ``register_raw``
and ``unregister_raw``), mapped with every resource of their kind and written as live
events are (:mod:`ocean.live.apply`)."""

from __future__ import annotations

from typing import Any

from ocean.errors import StoreError
from ocean.live.apply import LiveWriter, changes_of
from ocean.live.processor import WebhookEventRawResults
from ocean.load.freshness import Freshness
from ocean.store.base import Store
from ocean.transform.mapper import CompiledResource


class DirectWrites:
    def __init__(self, resources: list[CompiledResource], writer: LiveWriter, store: Store) -> None:
        self._resources, self._writer = resources, writer
        self.store = store
        """The catalog written to (what the compatibility layer's ``port_client`` reads)."""

    async def register_raw(self, kind: str, items: list[dict[str, Any]]) -> None:
        """Upsert what the selector keeps; delete (if this integration owns them) what it
        rejects."""
        await self._write(kind, WebhookEventRawResults(updated_raw_results=items))

    async def unregister_raw(self, kind: str, items: list[dict[str, Any]]) -> None:
        """Delete the entities the items map to (those the selector keeps)."""
        await self._write(kind, WebhookEventRawResults(deleted_raw_results=items))

    async def _write(self, kind: str, raw: WebhookEventRawResults) -> None:
        results = [(resource, raw) for resource in self._resources if resource.kind == kind]
        errors = await self._writer.write(changes_of(results, Freshness.now()))
        if errors:
            raise StoreError(
                f"{len(errors)} item(s) of kind {kind!r} were not written: " + "; ".join(errors[:5])
            )
