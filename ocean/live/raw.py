"""Raw items an integration hands over outside a resync (the original's ``register_raw``
and ``unregister_raw``), mapped with every resource of their kind and written as live
events are (:mod:`ocean.live.apply`); and its requests for a full resync."""

from __future__ import annotations

from typing import Any

from ocean.errors import StoreError
from ocean.live.apply import LiveWriter, changes_of
from ocean.live.processor import WebhookEventRawResults
from ocean.load.freshness import Freshness
from ocean.mapping import PortAppConfig
from ocean.store.base import Owner, Store
from ocean.transform.mapper import CompiledResource


class DirectWrites:
    def __init__(self, resources: list[CompiledResource], writer: LiveWriter) -> None:
        self._resources, self._writer = resources, writer

    @property
    def store(self) -> Store:
        """The catalog written to (what the compatibility layer's ``port_client`` reads)."""
        return self._writer.store

    @property
    def mapping(self) -> PortAppConfig:
        """The mapping the items are mapped with."""
        return self._writer.mapping

    @property
    def owner(self) -> Owner:
        """The integration the entities are written as."""
        return self._writer.owner

    async def request_resync(self) -> str:
        """Record a request for a full resync of this integration (as ``ocean catalog
        resync`` does); when it was requested."""
        return await self.store.request_resync(self._writer.owner.identifier)

    async def register_raw(self, kind: str, items: list[dict[str, Any]]) -> None:
        """Upsert what the selector keeps; delete (if this integration owns them) what it
        rejects."""
        await self._write(kind, WebhookEventRawResults(updated_raw_results=items))

    async def unregister_raw(self, kind: str, items: list[dict[str, Any]]) -> None:
        """Delete the entities the items map to (those the selector keeps)."""
        await self._write(kind, WebhookEventRawResults(deleted_raw_results=items))

    async def _write(self, kind: str, raw: WebhookEventRawResults) -> None:
        results = [(resource, raw) for resource in self._resources if resource.kind == kind]
        fetched_at = Freshness.now()
        with self._writer.freshness.holding(fetched_at):  # in flight until written
            changes = await changes_of(results, fetched_at)
            if changes.errors and raw.updated_raw_results:  # register_raw, as the original:
                changes.gone = []  # nothing deleted (an item a resource failed to map may be
                # one it keeps, which another's selector rejects)
            errors = await self._writer.write(changes)
        if errors:
            raise StoreError(
                f"{len(errors)} item(s) of kind {kind!r} were not written: " + "; ".join(errors[:5])
            )
