"""A stand-in for the Port API over HTTP, as the original's harness has one.

Ocean's harness writes into an embedded catalog instead (see
:mod:`port_ocean.integration_testing.harness`), and fills the ``upserted_entities`` and
``deleted_entities`` of its :class:`PortMockResponder` from it; the responder's
``transport`` still answers Port's routes for code that calls Port over HTTP itself.
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import unquote_plus

import httpx

from port_ocean.integration_testing.transport import InterceptTransport

_ORIGIN = "http://localhost:5555"


class PortMockResponder:
    """Answers the Port API routes a resync uses (token, integration and its mapping,
    blueprints, search, bulk and single upserts and deletes, migrations, metrics), keeping
    what is upserted and deleted."""

    def __init__(
        self,
        mapping_config: dict[str, Any],
        integration_identifier: str = "test-integration",
        blueprints: dict[str, dict[str, Any]] | None = None,
        search_entities_response: list[dict[str, Any]] | None = None,
    ) -> None:
        self.transport = InterceptTransport(strict=False)
        self.upserted_entities: list[dict[str, Any]] = []
        self.deleted_entity_ids: list[str] = []
        self.deleted_entities: list[dict[str, Any]] = []
        self.mapping_config = mapping_config
        self.integration_identifier = integration_identifier
        self.blueprints = blueprints or {}
        self.search_entities_response = search_entities_response or []
        self._setup_routes()

    def _setup_routes(self) -> None:
        token = {"accessToken": "test-token", "expiresIn": 999999999, "tokenType": "Bearer"}
        add = self.transport.add_route
        add("POST", "/v1/auth/access_token", {"json": token})
        add(None, "/v1/integration/", self._handle_integration)
        add("POST", "/v1/entities/search", self._handle_search_entities)
        add("POST", "/v1/blueprints/entities/datasource-entities", self._handle_datasource_entities)
        add("POST", "/entities/bulk", self._handle_bulk_upsert)
        add("POST", r"/v1/blueprints/[^/]+/bulk/entities/delete", self._handle_bulk_delete)
        add("POST", "/v1/blueprints/", self._handle_single_upsert)
        add("DELETE", r"/v1/blueprints/[^/]+/entities/", self._handle_delete_entity)
        add("DELETE", "/all-entities", {"json": {"migrationId": "test-migration"}})
        migration: dict[str, Any] = {"id": "test-migration", "status": "COMPLETE"}
        migration |= {"actor": "test", "sourceBlueprint": "test", "mapping": {}}
        add("GET", "/v1/migrations/", {"json": {"migration": migration}})
        add("GET", "/v1/organization", {"json": {"organization": {"featureFlags": []}}})
        add("PUT", "/syncMetrics", {"json": {"ok": True}})
        add("POST", "/syncMetrics", {"json": {"ok": True}})
        add("GET", re.compile(r"/integration/[^/]+/resync-request"), {"json": {"request": {}}})
        add(None, "/v1/blueprints/", self._handle_blueprint)

    def _handle_search_entities(self, request: httpx.Request) -> dict[str, Any]:
        return {"json": {"ok": True, "entities": self.search_entities_response}}

    def _handle_datasource_entities(self, request: httpx.Request) -> dict[str, Any]:
        return {"json": {"ok": True, "entities": self.search_entities_response, "next": None}}

    def _handle_integration(self, request: httpx.Request) -> dict[str, Any]:
        attributes = {"ingestId": "test-ingest", "ingestUrl": f"{_ORIGIN}/logs/test"}
        integration = {
            "identifier": self.integration_identifier,
            "integrationType": "test",
            "resyncState": {"status": "completed"},
            "config": self.mapping_config,
            "installationType": "OnPrem",
            "_orgId": "test-org",
            "_id": "test-id",
            "createdBy": "test",
            "updatedBy": "test",
            "createdAt": "2024-01-01T00:00:00.000Z",
            "updatedAt": "2024-01-01T00:00:00.000Z",
            "clientId": "",
            "logAttributes": attributes,
            "metricAttributes": dict(attributes),
            "ingestAttributes": {"ingestUrl": f"{_ORIGIN}/ingest/test"},
        }
        return {"json": {"integration": integration}}

    def _handle_bulk_upsert(self, request: httpx.Request) -> dict[str, Any]:
        entities = json.loads(request.content.decode("utf-8")).get("entities", [])
        self.upserted_entities.extend(entities)
        results = [
            {"index": index, "status": "SUCCESS", "identifier": entity.get("identifier", "")}
            for index, entity in enumerate(entities)
        ]
        return {"json": {"entities": results, "errors": []}}

    def _handle_single_upsert(self, request: httpx.Request) -> dict[str, Any]:
        entity = json.loads(request.content.decode("utf-8"))
        self.upserted_entities.append(entity)
        return {"json": {"ok": True, "entity": entity}}

    def record_deleted(self, blueprint: str, identifier: str) -> None:
        """Keep one deletion (the harness calls it for the catalog's deletions)."""
        self.deleted_entity_ids.append(identifier)
        self.deleted_entities.append({"identifier": identifier, "blueprint": blueprint})

    def _handle_delete_entity(self, request: httpx.Request) -> dict[str, Any]:
        raw = request.url.raw_path.decode("ascii").partition("?")[0]  # %2F stays in its part
        parts = [part for part in raw.split("/") if part]
        if len(parts) >= 5 and parts[:2] == ["v1", "blueprints"]:
            self.record_deleted(parts[2], unquote_plus(parts[4]))
        return {"json": {"ok": True}}

    def _handle_bulk_delete(self, request: httpx.Request) -> dict[str, Any]:
        parts = [part for part in request.url.path.split("/") if part]
        blueprint = parts[2] if len(parts) > 2 else "unknown"
        identifiers = json.loads(request.content.decode("utf-8")).get("entities", [])
        for identifier in identifiers:
            self.record_deleted(blueprint, identifier)
        return {"json": {"ok": True, "deletedEntities": identifiers}}

    def _handle_blueprint(self, request: httpx.Request) -> dict[str, Any]:
        parts = request.url.path.strip("/").split("/")
        identifier = parts[-1] if len(parts) >= 3 else "unknown"
        default: dict[str, Any] = {"identifier": identifier, "title": identifier}
        default["icon"] = "Blueprint"
        default |= {"schema": {"properties": {}}, "relations": {}}
        return {"json": {"blueprint": self.blueprints.get(identifier, default)}}
