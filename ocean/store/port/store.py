"""The catalog on the Port API: the store interface over Port's REST routes.

Chosen with ``--catalog https://api.getport.io`` (or ``OCEAN__PORT__BASE_URL``) plus
``OCEAN__PORT__CLIENT_ID``/``OCEAN__PORT__CLIENT_SECRET``. Writes carry the writer's
User-Agent, which Port records as the entity's datasource; ownership queries use the
datasource-entities route. Change detection searches existing entities in chunks of 50.
Against Ocean's own catalog server (it offers larger limits, see
:mod:`ocean.store.port.limits`) calls carry more, the server compares entities itself, and
page records and relation checks go through its ``/v1/ocean`` extension routes.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import httpx

from ocean.load.diff import is_unchanged
from ocean.store.base import (
    DeleteResult,
    Dependents,
    Fence,
    Owner,
    PageRecord,
    RunRecord,
    WriteOutcome,
    now_iso,
)
from ocean.store.blocked import Causes
from ocean.store.page_records import decoded, encoded
from ocean.store.port import cursors
from ocean.store.port.dependents import add_dependent
from ocean.store.port.http import PortAPIError, PortHTTP, PortUnavailableError, json_of
from ocean.store.port.requests import (
    bulk_batches,
    by_blueprint,
    group_keys,
    identifier_query,
)
from ocean.store.writes import identifier_text
from ocean.types import Entity, EntityKey


class PortAPIStore:
    """A Port API (the real one, or ``ocean catalog serve``) as the catalog."""

    def __init__(self, http: PortHTTP) -> None:
        self._http = http

    @classmethod
    def connect(
        cls,
        base_url: str,
        client_id: str,
        client_secret: str,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> PortAPIStore:
        return cls(
            PortHTTP(
                base_url,
                client_id,
                client_secret,
                user_agent="port-ocean/ocean",
                transport=transport,
            )
        )

    async def close(self) -> None:
        await self._http.close()

    async def organization(self) -> dict[str, Any]:
        """``{id, name, featureFlags}``: the Kafka listener's topic and group come from it."""
        response = await self._http.call("GET", "/organization", idempotent=True)
        return dict(json_of(response).get("organization") or {})

    async def register_integration(
        self, owner: Owner, *, changelog_destination: dict[str, Any], config: dict[str, Any]
    ) -> None:
        """Install the integration if Port does not know it, else patch what differs (as
        the original does at start: type, version and changelog destination)."""
        wanted = {
            "installationAppType": owner.integration_type,
            "version": owner.version,
            "changelogDestination": changelog_destination,
        }
        current = await self.get_integration(owner.identifier)
        if current is None:
            body = {"installationId": owner.identifier, "config": config} | wanted
            await self._http.call("POST", "/integration", json=body, idempotent=False)
            return
        changed = {key: value for key, value in wanted.items() if current.get(key) != value}
        if changed:
            path = f"/integration/{owner.identifier}"
            await self._http.call("PATCH", path, json=changed, idempotent=False)

    async def kafka_credentials(self) -> tuple[str, str]:
        response = await self._http.call("GET", "/kafka-credentials", idempotent=True)
        credentials = json_of(response).get("credentials") or {}
        return str(credentials.get("username")), str(credentials.get("password"))

    async def create_blueprints(self, blueprints: list[dict[str, Any]]) -> list[str]:
        existing = {bp["identifier"] for bp in await self.list_blueprints()}
        new = [bp for bp in blueprints if bp.get("identifier") not in existing]
        for blueprint in new:  # first without relations: they may point at each other
            body = {key: value for key, value in blueprint.items() if key != "relations"}
            await self._http.call("POST", "/blueprints", json=body, idempotent=False)
        for blueprint in new:
            if blueprint.get("relations"):
                await self._http.call(
                    "PATCH",
                    f"/blueprints/{blueprint['identifier']}",
                    json=blueprint,
                    idempotent=False,
                )
        return [bp["identifier"] for bp in new]

    async def now(self) -> str:
        """Ocean's own catalog server's time (``GET /v1/ocean/time``: the clock it stamps
        its writes with, as it answered: a little early, which keeps more, never less);
        against Port, this process's clock (Port's own cannot be read here: see the
        README's deletion notes)."""
        return await self._http.server_time() or now_iso()

    async def list_blueprints(self) -> list[dict[str, Any]]:
        response = await self._http.call("GET", "/blueprints", idempotent=True)
        return list(json_of(response).get("blueprints", []))

    async def get_entities(self, blueprint: str, identifiers: list[str]) -> dict[str, Entity]:
        size = (await self._http.limits()).search_identifiers
        chunks = [identifiers[start : start + size] for start in range(0, len(identifiers), size)]
        pages = await asyncio.gather(
            *(self.search(identifier_query(blueprint, chunk)) for chunk in chunks)
        )
        return {entity["identifier"]: entity for page in pages for entity in page}  # type: ignore[misc]

    async def upsert_entities(
        self,
        entities: list[Entity],
        *,
        owner: Owner,
        merge: bool,
        only_changed: bool = False,
        create_missing_related: bool = True,
    ) -> list[WriteOutcome]:
        outcomes: list[WriteOutcome] = []
        writes: list[tuple[int, Entity]] = []
        limits = await self._http.limits()
        server_diffs = only_changed and self._http.ocean  # Ocean's server compares itself
        stored = await self._stored(entities) if only_changed and not server_diffs else {}
        for index, entity in enumerate(entities):
            current = stored.get((str(entity.get("blueprint")), str(entity.get("identifier"))))
            if current is not None and is_unchanged(entity, current):
                outcomes.append(
                    WriteOutcome(index, entity["identifier"], entity["blueprint"], "unchanged")
                )
            else:
                writes.append((index, entity))
        params = {
            "upsert": "true",
            "merge": str(merge).lower(),
            "create_missing_related_entities": str(create_missing_related).lower(),
            "validation_only": "false",
        } | ({"only_changed": "true"} if server_diffs else {})
        calls = [
            self._bulk(blueprint, batch, params, owner, stored)
            for blueprint, group in by_blueprint(writes).items()
            for batch in bulk_batches(group, limits)
        ]
        for results in await asyncio.gather(*calls):  # the client's in-flight limit bounds them
            outcomes += results
        return sorted(outcomes, key=lambda outcome: outcome.index)

    def remembers_pages(self) -> bool:
        return self._http.ocean

    async def _ocean(self) -> bool:
        """Whether the API is Ocean's own catalog server (known once a token is held)."""
        await self._http.limits()
        return self._http.ocean

    async def recall_pages(self, owner: Owner, slot: str, fingerprint: str) -> list[PageRecord]:
        """Ocean's catalog server keeps page records (an extension route); Port does not."""
        if not await self._ocean():
            return []
        answer = await self._extension(
            "POST", "/ocean/pages/recall", {"slot": slot, "fingerprint": fingerprint}, owner
        )
        return [
            decoded(bytes.fromhex(item["digest"]), item["record"])
            for item in answer.get("records", [])
        ]

    async def remember_pages(
        self, owner: Owner, slot: str, fingerprint: str, records: list[PageRecord]
    ) -> None:
        if not await self._ocean():
            return
        await self._extension(
            "PUT",
            "/ocean/pages",
            {
                "slot": slot,
                "fingerprint": fingerprint,
                "records": [{"digest": r.digest.hex(), "record": encoded(r)} for r in records],
            },
            owner,
        )

    async def _extension(
        self, method: str, path: str, body: dict[str, Any], owner: Owner | None = None
    ) -> dict[str, Any]:
        """Call one of Ocean's server extension routes (idempotent, as the writer)."""
        response = await self._http.call(
            method,
            path,
            json=body,
            idempotent=True,
            user_agent=owner.datasource if owner is not None else None,
        )
        answer: dict[str, Any] = json_of(response)
        return answer

    async def _stored(self, entities: list[Entity]) -> dict[EntityKey, Entity]:
        stored: dict[EntityKey, Entity] = {}
        by_blueprint: dict[str, list[str]] = {}
        for entity in entities:
            if isinstance(entity.get("identifier"), str):
                by_blueprint.setdefault(str(entity["blueprint"]), []).append(entity["identifier"])
        for blueprint, identifiers in by_blueprint.items():
            for identifier, entity in (await self.get_entities(blueprint, identifiers)).items():
                stored[(blueprint, identifier)] = entity
        return stored

    async def _bulk(
        self,
        blueprint: str,
        batch: list[tuple[int, Entity]],
        params: dict[str, str],
        owner: Owner,
        stored: dict[EntityKey, Entity],
    ) -> list[WriteOutcome]:
        try:
            response = await self._http.call(
                "POST",
                f"/blueprints/{blueprint}/entities/bulk",
                json={"entities": [e for _, e in batch]},
                params=params,
                idempotent=True,
                user_agent=owner.datasource,
            )
        except PortAPIError as error:
            if error.status != 413:
                return [_failed(i, e, blueprint, error) for i, e in batch]
            return [await self._single(blueprint, i, e, params, owner, stored) for i, e in batch]
        body = json_of(response)
        outcomes = []
        done = {item["index"]: item for item in body.get("entities", [])}
        failed = {item["index"]: item for item in body.get("errors", [])}
        for position, (index, entity) in enumerate(batch):
            if position in done:
                item = done[position]
                created = (blueprint, str(entity["identifier"])) not in stored
                outcomes.append(
                    WriteOutcome(
                        index,
                        item.get("identifier", entity["identifier"]),
                        blueprint,
                        item.get("status") or ("created" if created else "updated"),
                        version=item.get("version"),  # Ocean's server says both
                    )
                )
            else:
                problem = failed.get(position, {})
                message = f"{problem.get('error', 'error')}: {problem.get('message', 'no result from Port')}"
                named = identifier_text(entity["identifier"])
                outcomes.append(WriteOutcome(index, named, blueprint, "failed", error=message))
        return outcomes

    async def _single(
        self,
        blueprint: str,
        index: int,
        entity: Entity,
        params: dict[str, str],
        owner: Owner,
        stored: dict[EntityKey, Entity],
    ) -> WriteOutcome:
        try:
            await self._http.call(
                "POST",
                f"/blueprints/{blueprint}/entities",
                json=entity,
                params=params,
                idempotent=True,
                user_agent=owner.datasource,
            )
        except PortAPIError as error:
            return _failed(index, entity, blueprint, error)
        created = (blueprint, str(entity["identifier"])) not in stored
        return WriteOutcome(
            index, entity["identifier"], blueprint, "created" if created else "updated"
        )

    async def search(
        self,
        query: dict[str, Any],
        *,
        include: list[str] | None = None,
        exclude: list[str] | None = None,
    ) -> list[dict[str, Any]]:
        params: list[tuple[str, str]] = [("exclude_calculated_properties", "true")]
        params += [("include", path) for path in include or []] + [
            ("exclude", path) for path in exclude or []
        ]
        response = await self._http.call(
            "POST", "/entities/search", json=query, params=params, idempotent=True
        )
        return list(json_of(response).get("entities", []))

    async def owned_page(
        self,
        owner: Owner,
        *,
        before: str | None = None,
        after: EntityKey | None = None,
        limit: int = 5000,
    ) -> tuple[list[EntityKey], EntityKey | None]:
        body: dict[str, Any] = {
            "datasource_prefix": f"port-ocean/{owner.integration_type}/",
            "datasource_suffix": f"/{owner.identifier}/{owner.user_agent_type}",
            "limit": limit,
        }
        if before is not None:
            body["before"] = before
        if after is not None:
            body["from"] = json.loads(after[1]) if after[0] == "cursor" else after[1]
        response = await self._http.call(
            "POST",
            "/blueprints/entities/datasource-entities",
            json=body,
            idempotent=True,
            user_agent=owner.datasource,
        )
        payload = json_of(response)
        keys = [(e["blueprint"], e["identifier"]) for e in payload.get("entities", [])]
        cursor = payload.get("next")
        return keys, (("cursor", json.dumps(cursor)) if cursor else None)

    async def owned_keys(self, owner: Owner, *, before: str | None = None) -> set[EntityKey]:
        keys: set[EntityKey] = set()
        cursor: EntityKey | None = None
        limit = (await self._http.limits()).owned_page
        while True:
            page, cursor = await self.owned_page(owner, before=before, after=cursor, limit=limit)
            keys.update(page)
            if cursor is None:
                return keys

    async def count_owned(self, owner: Owner) -> int:
        return len(await self.owned_keys(owner))

    async def dependents(self, keys: list[EntityKey], *, after: str) -> Dependents:
        """One ``relatedTo`` search per chunk of keys (a list value, as Port accepts), then
        which of them each dependent points at."""
        found = Dependents()
        for blueprint, identifiers in group_keys(keys).items():
            size = (await self._http.limits()).search_identifiers
            for start in range(0, len(identifiers), size):
                chunk = set(identifiers[start : start + size])
                rule = {"operator": "relatedTo", "blueprint": blueprint, "value": sorted(chunk),
                        "direction": "downstream"}  # fmt: skip
                related = await self.search(
                    {"combinator": "and", "rules": [rule]},
                    include=["identifier", "blueprint", "relations", "updatedAt"],
                )
                for entity in related:
                    add_dependent(found, entity, blueprint, chunk, after)
        return found

    async def delete_entities(
        self,
        keys: list[EntityKey],
        *,
        delete_dependents: bool = True,
        fence: Fence | None = None,
        written_before: str | None = None,
        causes: Causes | None = None,
    ) -> DeleteResult:
        """``fence`` is not checked: the Port API keeps no leases (resyncs are not leased);
        nor are ``written_before`` and ``causes``: its bulk deletion takes no condition."""
        deleted: list[EntityKey] = []
        for blueprint, identifiers in group_keys(keys).items():
            size = (await self._http.limits()).delete_identifiers
            for start in range(0, len(identifiers), size):
                batch = identifiers[start : start + size]
                response = await self._http.call(
                    "POST",
                    f"/blueprints/{blueprint}/bulk/entities/delete",
                    json={"entities": batch},
                    params={"delete_dependents": str(delete_dependents).lower()},
                    idempotent=True,
                )
                deleted += [(blueprint, i) for i in json_of(response).get("deletedEntities", batch)]
        return DeleteResult(deleted=sorted(deleted), blocked={})

    async def iter_entities(self, blueprint: str | None = None) -> AsyncIterator[Entity]:
        rules = (
            [{"property": "$blueprint", "operator": "=", "value": blueprint}] if blueprint else []
        )
        for entity in await self.search({"combinator": "and", "rules": rules}):
            yield entity  # type: ignore[misc]

    async def count_entities(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        async for entity in self.iter_entities():
            counts[entity["blueprint"]] = counts.get(entity["blueprint"], 0) + 1
        return counts

    async def record_run(self, run: RunRecord) -> int:
        # The original's field names, ``intervalInMinuets`` spelling included.
        body: dict[str, Any] = {
            "status": run.status,
            "lastResyncEnd": run.ended_at,
            "nextResync": run.next_resync,
            "intervalInMinuets": run.interval_minutes,
        }
        if run.status == "running":
            body["lastResyncStart"] = run.started_at
        await self._http.call(
            "PATCH", f"/integration/{run.integration}/resync-state", json=body, idempotent=False
        )
        return run.id if run.id is not None else 0

    async def list_runs(self, limit: int = 20) -> list[RunRecord]:
        return []

    async def last_completed_run(self, integration: str) -> RunRecord | None:
        return None  # Port keeps no run reports: kinds are weighed per blueprint only

    async def get_run(self, run_id: int) -> RunRecord | None:
        return None

    async def run_integrations(self) -> list[str]:
        return []

    async def save_integration(self, identifier: str, record: dict[str, Any]) -> None:
        raise PortAPIError("save integration", None, "Port keeps its own integration records")

    async def get_integration(self, identifier: str) -> dict[str, Any] | None:
        try:
            response = await self._http.call("GET", f"/integration/{identifier}", idempotent=True)
        except PortAPIError as error:
            if error.status == 404:
                return None
            raise
        return dict(json_of(response).get("integration") or {})

    async def get_cursor(self, integration: str, kind: str, index: int) -> str | None:
        return await cursors.get(self._http, integration, kind, index)

    async def save_cursor(self, integration: str, kind: str, index: int, value: str) -> None:
        await cursors.save(self._http, integration, kind, index, value)

    async def create_credentials(self, name: str) -> tuple[str, str]:
        raise PortAPIError("create credentials", None, "create machine credentials in Port's UI")

    async def check_credentials(self, client_id: str, secret: str) -> bool:
        raise PortAPIError("check credentials", None, "Port checks its own credentials")

    async def update_blueprint(
        self, identifier: str, patch: dict[str, Any]
    ) -> dict[str, Any] | None:
        response = await self._http.call(
            "PATCH", f"/blueprints/{identifier}", json=patch, idempotent=False
        )
        return dict(json_of(response).get("blueprint", {}))

    async def request_resync(self, integration: str) -> str:
        raise PortAPIError(
            "request resync", None, "ask for a resync in Port's UI; the API has no route for it"
        )

    async def resync_requested_at(self, integration: str) -> str | None:
        response = await self._http.call(
            "GET", f"/integration/{integration}/resync-request", idempotent=True
        )
        request = json_of(response).get("request")
        return None if not request else str(request.get("updatedAt"))


def _failed(index: int, entity: Entity, blueprint: str, error: PortAPIError) -> WriteOutcome:
    down = isinstance(error, PortUnavailableError)  # a live event waits and writes it again
    named = identifier_text(entity["identifier"])
    return WriteOutcome(index, named, blueprint, "failed", str(error), unavailable=down)
