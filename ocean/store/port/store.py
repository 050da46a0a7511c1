"""The catalog on the Port API: the store interface over Port's REST routes.

Chosen with ``--catalog https://api.getport.io`` (or ``OCEAN__PORT__BASE_URL``) plus
``OCEAN__PORT__CLIENT_ID``/``OCEAN__PORT__CLIENT_SECRET``. Writes carry the writer's
User-Agent, which Port records as the entity's datasource; ownership queries use the
datasource-entities route. Upserts (change detection, outcomes) are
:mod:`ocean.store.port.upserts`, deletions :mod:`ocean.store.port.deletes`, the event a
write belongs to :mod:`ocean.store.port.events`, retries :mod:`ocean.store.port.http`.
Against Ocean's own catalog server (it offers larger limits, see
:mod:`ocean.store.port.limits`) calls carry more, the server compares entities itself, and
page records and relation checks go through its ``/v1/ocean`` extension routes.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator, Callable
from typing import Any
from urllib.parse import quote_plus

import httpx
import orjson

from ocean.store.base import (
    DeleteResult,
    Dependents,
    Owner,
    PageRecord,
    RunRecord,
    WriteOutcome,
    now_iso,
)
from ocean.store.blocked import Causes
from ocean.store.lease import Fence
from ocean.store.page_records import decoded, encoded
from ocean.store.port import cursors, deletes, lookups, upserts
from ocean.store.port.blueprints import create_in_stages
from ocean.store.port.dependents import find_dependents
from ocean.store.port.events import event_params, follow_run
from ocean.store.port.http import PortAPIError, PortHTTP
from ocean.store.port.requests import identifier_query
from ocean.types import Entity, EntityKey

_log = logging.getLogger(__name__)
_REPORT_BYTES = 512 * 1024
"""The largest run report sent with a resync's end to Ocean's server (its cap is 1 MiB)."""


class PortAPIStore:
    """A Port API (the real one, or ``ocean catalog serve``) as the catalog."""

    def __init__(self, http: PortHTTP, owner: Owner | None = None) -> None:
        self._http = http
        self._owner: Owner | None = None
        """The integration this client writes for: named by its first call that says
        (installing it, a write, an ownership read), or at :meth:`connect`."""
        if owner is not None:
            self._learn(owner)
        self._requested: dict[str, str] = {}
        """Resyncs asked for in this process (``POST /resync``), by integration: Port has
        no route to record one, so this process's own listener takes them."""

    def resolves_searches(self) -> bool:
        """Port resolves search identifiers and relations (:mod:`ocean.store.search_values`)."""
        return True

    @classmethod
    def connect(
        cls,
        base_url: str,
        client_id: str,
        client_secret: str,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        owner: Owner | None = None,
    ) -> PortAPIStore:
        http = PortHTTP(
            base_url, client_id, client_secret, user_agent="port-ocean/ocean", transport=transport
        )
        return cls(http, owner)

    def _learn(self, owner: Owner) -> None:
        """Calls name ``owner`` from now on, as the original's do: ``User-Agent:
        port-ocean/{type}/{version}/{identifier}``, and ``/exporter`` after it on entity
        writes, searches and deletions (:attr:`Owner.datasource`)."""
        if owner != self._owner:
            self._owner = owner
            self._http.user_agent = (
                f"port-ocean/{owner.integration_type}/{owner.version}/{owner.identifier}"
            )

    @property
    def _exporter(self) -> str | None:
        """The User-Agent of searches and deletions (None before the owner is known)."""
        return self._owner.datasource if self._owner is not None else None

    @property
    def port_http(self) -> PortHTTP:
        """Its client (the token, the concurrency limit), for the integration's other Port
        calls: its sync metrics (:mod:`ocean.monitor.port_sync_metrics`)."""
        return self._http

    async def close(self) -> None:
        await self._http.close()

    def stops_between_calls(self) -> bool:
        return True

    async def organization(self) -> dict[str, Any]:
        """``{id, name, featureFlags}``: the Kafka listener's topic and group come from it."""
        reply = await self._http.call("GET", "/organization", idempotent=True)
        return dict(reply.body.get("organization") or {})

    async def register_integration(
        self,
        owner: Owner,
        *,
        changelog_destination: dict[str, Any] | None,
        config: dict[str, Any],
        features: dict[str, bool] | None = None,
    ) -> dict[str, Any]:
        """Install the integration if Port does not know it, else patch what differs (as
        the original does at start: type, version, changelog destination and ``features``,
        such as ``incrementalSyncEnabled``); the integration's record as Port then holds it."""
        self._learn(owner)
        wanted: dict[str, Any] = {
            "installationAppType": owner.integration_type,
            "version": owner.version,
        }
        if changelog_destination is not None:  # (None: as it is)
            wanted["changelogDestination"] = changelog_destination
        wanted |= features or {}
        current = await self.get_integration(owner.identifier)
        if current is None:
            body = {"installationId": owner.identifier, "config": config} | wanted
            try:
                reply = await self._http.call("POST", "/integration", json=body, idempotent=False)
                return dict(reply.body.get("integration") or body)
            except PortAPIError as error:
                if error.status != 409:  # installed meanwhile (another replica): patched below
                    raise
            current = await self.get_integration(owner.identifier) or {}
        changed = {key: value for key, value in wanted.items() if current.get(key) != value}
        if changed:
            current = await self.patch_integration(owner.identifier, changed)
        return current

    async def patch_integration(self, identifier: str, change: dict[str, Any]) -> dict[str, Any]:
        """Change fields of the integration's record (``config`` through its own route,
        as the original sends it); the record as Port answers it."""
        path = f"/integration/{identifier}"
        if set(change) == {"config"}:
            path += "/config"
        reply = await self._http.call("PATCH", path, json=change, idempotent=False)
        record = reply.body.get("integration")
        return dict(record) if record else await self.get_integration(identifier) or {}

    async def kafka_credentials(self) -> tuple[str, str]:
        reply = await self._http.call("GET", "/kafka-credentials", idempotent=True)
        credentials = reply.body.get("credentials") or {}
        return str(credentials.get("username")), str(credentials.get("password"))

    async def create_blueprints(self, blueprints: list[dict[str, Any]]) -> list[str]:
        """Create those Port lacks, in the original's stages (:mod:`.blueprints`)."""
        existing = {bp["identifier"] for bp in await self.list_blueprints()}
        new = [bp for bp in blueprints if bp.get("identifier") not in existing]
        return await create_in_stages(self._send_blueprint, new)

    async def create_resource(self, path: str, body: dict[str, Any]) -> bool:
        """POST ``body`` to ``path`` (an action, a scorecard, a page); False: it exists."""
        return await self._send_blueprint("POST", path, body)

    async def _send_blueprint(self, method: str, path: str, body: dict[str, Any]) -> bool:
        try:
            await self._http.call(
                method, path, json=body, idempotent=False, user_agent=self._exporter
            )
        except PortAPIError as error:
            if method != "POST" or error.status != 409:
                raise
            return False  # made meanwhile (another replica setting up): theirs
        return True

    async def now(self) -> str:
        """Ocean's own catalog server's time (``GET /v1/ocean/time``: the clock it stamps
        its writes with, as it answered: a little early, which keeps more, never less);
        against Port, this process's clock (Port's own cannot be read here: see the
        README's deletion notes)."""
        return await self._http.server_time() or now_iso()

    async def list_blueprints(self) -> list[dict[str, Any]]:
        reply = await self._http.call("GET", "/blueprints", idempotent=True)
        return list(reply.body.get("blueprints", []))

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
        self._learn(owner)
        params = {
            "upsert": "true",
            "merge": str(merge).lower(),
            "create_missing_related_entities": str(create_missing_related).lower(),
            "validation_only": "false",
        } | event_params()
        return await upserts.upsert(
            self._http, entities, owner=owner, params=params, only_changed=only_changed
        )

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
        reply = await self._http.call(
            method,
            path,
            json=body,
            idempotent=True,
            user_agent=owner.datasource if owner is not None else None,
        )
        answer: dict[str, Any] = reply.body
        return answer

    async def search(
        self,
        query: dict[str, Any],
        *,
        include: list[str] | None = None,
        exclude: list[str] | None = None,
    ) -> list[dict[str, Any]]:
        return await lookups.search(
            self._http, query, include=include, exclude=exclude, user_agent=self._exporter
        )

    async def owned_page(
        self,
        owner: Owner,
        *,
        before: str | None = None,
        after: EntityKey | None = None,
        limit: int = 5000,
    ) -> tuple[list[EntityKey], EntityKey | None]:
        self._learn(owner)
        body: dict[str, Any] = {
            "datasource_prefix": f"port-ocean/{owner.integration_type}/",
            "datasource_suffix": f"/{owner.identifier}/{owner.user_agent_type}",
            "limit": limit,
        }
        if before is not None:
            body["before"] = before
        if after is not None:
            body["from"] = json.loads(after[1]) if after[0] == "cursor" else after[1]
        reply = await self._http.call(
            "POST",
            "/blueprints/entities/datasource-entities",
            json=body,
            idempotent=True,
            user_agent=owner.datasource,
        )
        payload = reply.body
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
        return await find_dependents(self._http, keys, after=after, user_agent=self._exporter)

    async def delete_entities(
        self,
        keys: list[EntityKey],
        *,
        delete_dependents: bool = True,
        fence: Fence | None = None,
        written_before: str | None = None,
        causes: Causes | None = None,
    ) -> DeleteResult:
        """In the order of ``keys`` (see :mod:`ocean.store.port.deletes`). ``fence`` is
        not checked: the Port API keeps no leases (resyncs are not leased); nor are
        ``written_before`` and ``causes``: its bulk deletion takes no condition."""
        params = {"delete_dependents": str(delete_dependents).lower()} | event_params()
        return await deletes.delete(self._http, keys, params=params, user_agent=self._exporter)

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
        """Report the resync's state to Port, as the original does: at best (a failure is
        logged, and the resync goes on). Retried, as setting it again sets the same; but
        an ``aborted`` report is sent once, the process may be stopping."""
        follow_run(run)
        if run.report.get("mode") == "incremental":  # the original reports full resyncs only
            return 0
        # The original's field names, ``intervalInMinuets`` spelling included.
        body: dict[str, Any] = {
            "status": run.status,
            "lastResyncEnd": run.ended_at,
            "nextResync": run.next_resync,
            "intervalInMinuets": run.interval_minutes,
        }
        if run.status == "running":
            body["lastResyncStart"] = run.started_at
        elif self._http.ocean:  # Ocean's own server keeps the run's report (Port keeps none)
            whole = run.report | body
            if len(orjson.dumps(whole)) < _REPORT_BYTES:  # else the state alone is recorded
                body = whole
        path = f"/integration/{run.integration}/resync-state"
        try:
            await self._http.call("PATCH", path, json=body, idempotent=run.status != "aborted")
        except PortAPIError as error:
            _log.warning(
                "could not report the resync's state %r to Port, which shows the state it "
                "had until the next report; the resync goes on: %s",
                run.status,
                error,
            )
        return run.id if run.id is not None else 0

    async def list_runs(self, limit: int = 20, integration: str | None = None) -> list[RunRecord]:
        return []

    async def last_completed_run(self, integration: str) -> RunRecord | None:
        return None  # Port keeps no run reports: kinds are weighed per blueprint only

    async def get_run(self, run_id: int) -> RunRecord | None:
        return None

    async def run_integrations(self) -> list[str]:
        return []

    async def save_integration(self, identifier: str, record: dict[str, Any]) -> None:
        raise PortAPIError("save integration", None, "Port keeps its own integration records")

    async def delete_integration(self, identifier: str) -> bool:
        """``DELETE /integration/{id}`` (the original's ``defaults clean --destroy``)."""
        try:
            await self._http.call("DELETE", f"/integration/{identifier}", idempotent=True)
        except PortAPIError as error:
            if error.status == 404:
                return False
            raise
        return True

    async def get_integration(self, identifier: str) -> dict[str, Any] | None:
        try:
            reply = await self._http.call("GET", f"/integration/{identifier}", idempotent=True)
        except PortAPIError as error:
            if error.status == 404:
                return None
            raise
        return dict(reply.body.get("integration") or {})

    async def update_integration(
        self, identifier: str, change: Callable[[dict[str, Any] | None], dict[str, Any] | None]
    ) -> dict[str, Any] | None:
        """Read, then save (which Port refuses: it keeps its own records); nothing to lock."""
        record = change(await self.get_integration(identifier))
        if record is not None:
            await self.save_integration(identifier, record)
        return record

    async def kind_examples(self, integration: str, kind: str, examples: list[Any]) -> None:
        """Give Port's mapping editor raw items of ``kind`` (masked by the caller), as the
        original does; Ocean's own server has no use for them and is not sent any."""
        if await self._ocean():
            return
        path = f"/integration/{quote_plus(integration)}/kinds/{quote_plus(kind)}/examples"
        await self._http.call("POST", path, json={"examples": examples}, idempotent=False)

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
        path = f"/blueprints/{identifier}"
        reply = await self._http.call(
            "PATCH", path, json=patch, idempotent=False, user_agent=self._exporter
        )
        return dict(reply.body.get("blueprint", {}))

    async def change_blueprint(
        self, identifier: str, change: Callable[[dict[str, Any]], dict[str, Any]]
    ) -> dict[str, Any] | None:
        """Read the blueprint just before patching it: Port has no transaction to make the
        two one, so a change made between them is undone; the gap is one round trip."""
        try:
            path = f"/blueprints/{identifier}"
            reply = await self._http.call("GET", path, idempotent=True)
        except PortAPIError as error:
            if error.status == 404:
                return None
            raise
        current = dict(reply.body.get("blueprint") or {})
        patch = change(current)
        return await self.update_blueprint(identifier, patch) if patch else current

    async def request_resync(self, integration: str) -> str:
        """Ask this process's listener for a resync (Port's API has no route that records
        one: Port's UI asks through its own, which :meth:`resync_requested_at` reads)."""
        self._requested[integration] = asked = now_iso()
        return asked

    async def resync_requested_at(self, integration: str) -> str | None:
        """Port's last resync request, and this process's after it when there is one (the
        stamp changes when either does)."""
        reply = await self._http.call(
            "GET", f"/integration/{integration}/resync-request", idempotent=True
        )
        request = reply.body.get("request")
        ported = None if not request else str(request.get("updatedAt"))
        asked = self._requested.get(integration)
        return ported if asked is None else f"{ported or ''} {asked}"
