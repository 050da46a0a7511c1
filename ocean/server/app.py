"""``create_app(store)``: the routes of Port's API that Ocean and the original call.

Every body is JSON, errors included (``{"ok": false, "error", "message"}``); every route but
the token route needs a valid bearer token. Writes record the caller's User-Agent
(``port-ocean/{type}/{version}/{identifier}/{exporter}``) as the entity's datasource.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import logging
import time
from collections.abc import Callable, Sequence
from typing import Any

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ocean.errors import (
    CatalogUnavailableError,
    ConflictError,
    ForbiddenError,
    NotFoundError,
    RateLimitedError,
    RequestError,
    RequestTooLargeError,
    StoreError,
)
from ocean.server.access import Authenticated
from ocean.server.actions import ActionRoutes
from ocean.server.audit import AuditLog, AuditRoutes
from ocean.server.auth import Tokens
from ocean.server.blueprints import BlueprintRoutes
from ocean.server.bodies import (
    bulk_cap,
    cursor,
    entity_objects,
    identifiers,
    instant,
    json_object,
    limits_of,
    moment,
    number,
)
from ocean.server.caller import Callers, owner_of
from ocean.server.deadline import Deadlines
from ocean.server.docs import docs_page
from ocean.server.entities import EntityRoutes
from ocean.server.gateway import WriteGateway
from ocean.server.integrations import Integrations, integration_id
from ocean.server.login import TokenGate
from ocean.server.openapi import OPEN, openapi
from ocean.server.principal import principal_of, require_integration, writer_of
from ocean.server.reading import Reader
from ocean.server.responses import JSON as _JSON
from ocean.server.responses import (
    UNSTORABLE,
    UNSTORABLE_MESSAGE,
    flag,
    unavailable,
    write_code,
    write_status,
)
from ocean.server.responses import error as _error
from ocean.server.ui.app import UiFront, create_ui
from ocean.server.ui.runs import report_problem
from ocean.server.workflows import workflow_routes
from ocean.store.base import RemembersPages, RunRecord, Store
from ocean.store.page_records import decoded, encoded
from ocean.store.port.deadline import NOW_HEADER
from ocean.store.port.limits import CLIENT_HEADER, HEADER, OCEAN_SERVER
from ocean.store.search import SearchError
from ocean.types import EntityKey

_log = logging.getLogger(__name__)


def create_app(
    store: Store,
    tokens: Tokens | None = None,
    gate: TokenGate | None = None,
    queue_of: Callable[[str], str] | None = None,
    *,
    feature_flags: Sequence[str] = (),
    audit_retention: dt.timedelta | None = None,
) -> Starlette:
    """The ASGI app over ``store``; ``gate`` issues and checks its tokens (its own limits
    of failed token requests; see :mod:`ocean.server.login`); see :func:`_middleware`.
    ``GET /v1/organization`` answers ``feature_flags``; the audit log's entries older than
    ``audit_retention`` are deleted (:class:`AuditLog`; None keeps them all)."""
    gate = gate or TokenGate(tokens)
    routes = _Routes(store, gate, feature_flags, AuditLog(store, audit_retention))
    integrations = routes.integrations

    async def published(_: Request) -> Response:
        """This OpenAPI description of the server."""
        return _JSON(schema)

    table = [
        Route("/openapi.json", published, methods=["GET"]),
        Route("/docs", docs_page, methods=["GET"]),
        Route("/v1/auth/access_token", routes.token, methods=["POST"]),
        Route("/v1/organization", integrations.organization),
        Route("/v1/integration/provision-enabled", integrations.provision_enabled),
        Route("/v1/integration", integrations.create, methods=["POST"]),
        Route("/v1/integration/{id}", integrations.get, methods=["GET"]),
        Route("/v1/integration/{id}", integrations.patch, methods=["PATCH"]),
        Route("/v1/integration/{id}", integrations.delete, methods=["DELETE"]),
        Route("/v1/integration/{id}/config", integrations.patch, methods=["PATCH"]),
        Route("/v1/integration/{id}/cursor", integrations.get_cursor, methods=["GET"]),
        Route("/v1/integration/{id}/cursor", integrations.put_cursor, methods=["PUT", "POST"]),
        Route(
            "/v1/integration/{id}/kinds/{kind:path}/examples",  # a kind may hold '/' (%2F)
            integrations.accepted,
            methods=["POST"],
        ),
        Route("/__ingest/{rest:path}", integrations.accepted, methods=["POST", "PUT"]),
        Route("/v1/blueprints/entities/datasource-entities", routes.owned, methods=["POST"]),
        Route("/v1/blueprints/{bp}/entities/bulk", routes.bulk, methods=["POST"]),
        Route("/v1/blueprints/{bp}/bulk/entities/delete", routes.delete, methods=["POST"]),
        *routes.blueprint_routes.routes(),
        *routes.entity_routes.routes(),
        *AuditRoutes(store).routes() + ActionRoutes(store).routes() + workflow_routes(),
        Route("/v1/integration/{id}/resync-state", routes.resync_state, methods=["PATCH"]),
        Route("/v1/integration/{id}/resync-request", routes.resync_request, methods=["GET"]),
        Route("/v1/ocean/time", routes.time, methods=["GET"]),
        Route("/v1/ocean/pages/recall", routes.recall_pages, methods=["POST"]),
        Route("/v1/ocean/pages", routes.remember_pages, methods=["PUT"]),
    ]
    schema = openapi(table)
    app = Starlette(
        routes=table,
        middleware=_middleware(store, gate, queue_of),
        exception_handlers=_handlers(),
    )
    app.router.redirect_slashes = False  # a trailing slash is another path: 404 JSON, no 307
    return app


def _handlers() -> dict[Any, Any]:
    """The JSON answer of each error."""
    return {
        RequestTooLargeError: _too_large,
        ForbiddenError: _forbidden,
        RateLimitedError: _rate_limited,
        NotFoundError: _missing,
        ConflictError: _conflict,
        CatalogUnavailableError: _unavailable,
        StoreError: _store_error,
        RecursionError: _too_deep,
        **dict.fromkeys(_unstorable_errors(), _unstorable),
        Exception: _failed,
        404: _not_found,
        405: _not_allowed,
    }


def _middleware(
    store: Store, gate: TokenGate, queue_of: Callable[[str], str] | None
) -> list[Middleware]:
    """The web UI answers ``/`` and ``/ui/...`` (:mod:`ocean.server.ui`; ``queue_of`` names
    an integration's live-event queue); every other route needs a token."""
    return [
        Middleware(Deadlines),
        Middleware(UiFront, ui=create_ui(store, gate, queue_of)),
        Middleware(Authenticated, gate=gate, store=store, open=OPEN),
    ]


_MOST_OWNED = 100_000
"""The most entities one page of a datasource's entities holds."""


class _Routes:
    def __init__(
        self, store: Store, gate: TokenGate, feature_flags: Sequence[str], audit: AuditLog
    ) -> None:
        self.store, self.gate, self.tokens = store, gate, gate.tokens
        self.callers = Callers(gate.tokens)
        self.gateway = WriteGateway(store, audit)
        self.integrations = Integrations(store, feature_flags)
        self.reader = reader = Reader(store)
        self.blueprint_routes = BlueprintRoutes(reader, self.gateway, self.callers)
        self.entity_routes = EntityRoutes(reader, self.gateway, self.callers)

    async def token(self, request: Request) -> Response:
        """Exchange a client id and secret for a bearer token."""
        body = await json_object(request)
        client_id, address = str(body.get("clientId")), _address(request)
        token = await self.gate.exchange(
            self.store, client_id, str(body.get("clientSecret")), address
        )
        if token is None:
            return _error(
                401,
                "invalid_credentials",
                "unknown clientId, wrong clientSecret or revoked credential: check "
                "OCEAN__PORT__CLIENT_ID/_SECRET (`ocean catalog credentials list`)",
            )
        self.callers.issued(token, client_id)
        return _JSON(
            {
                "ok": True,
                "accessToken": token,
                "expiresIn": int(self.tokens.lifetime),
                "tokenType": "Bearer",
            },
            # Ocean's client may send more per call, and sends its writes' deadlines
            headers={HEADER: OCEAN_SERVER.header(), NOW_HEADER: f"{time.time():.3f}"},
        )

    async def bulk(self, request: Request) -> Response:
        """Upsert up to 20 entities of a blueprint (1,000 for Ocean's client); per-entity
        results (207 when some fail)."""
        blueprint, most = request.path_params["bp"], limits_of(request).bulk_entities
        body = await json_object(request, bulk_cap(request))
        entities: list[Any] = [e | {"blueprint": blueprint} for e in entity_objects(body, most)]
        caller = self.callers.of(request)
        # upsert=false (sent so) creates only; Ocean and port-ocean send upsert=true
        create_only = request.query_params.get("upsert") is not None and not flag(request, "upsert")
        if flag(request, "validation_only"):  # refused as the write would be, nothing written
            definition = await self.reader.blueprint(blueprint)
            outcomes = await self.gateway.validate(
                caller,
                entities,
                definition,
                create_only=create_only,
                merge=flag(request, "merge"),
                create_missing_related=flag(request, "create_missing_related_entities"),
            )
        else:
            outcomes = await self.gateway.upsert(
                caller, entities, grouped=True, create_only=create_only, **_write_options(request)
            )
            if not all(o.ok for o in outcomes) or not outcomes:  # blueprint missing: 404
                await self.reader.blueprint(blueprint)
        ours = bool(request.headers.get(CLIENT_HEADER))  # Ocean's client: status and version too
        done = [
            {"index": o.index, "identifier": o.identifier, "created": o.status == "created"}
            | ({"status": o.status, "version": o.version} if ours else {})
            for o in outcomes
            if o.ok
        ]
        errors = [
            {
                "index": o.index,
                "identifier": o.identifier,
                "statusCode": write_status(o.error),
                "error": write_code(o.error),
                "message": o.error,
            }
            for o in outcomes
            if not o.ok
        ]
        return _JSON(
            {"ok": True, "entities": done, "errors": errors}, status_code=207 if errors else 200
        )

    async def delete(self, request: Request) -> Response:
        """Delete entities of a blueprint, optionally with their dependents.

        Answers those deleted (``deletedEntities``) and the identifiers that do not exist
        (``notFound``, not deleted); 404 when the blueprint does not exist. Without
        ``delete_dependents``, when something left standing relates to any of them, the
        call deletes nothing (as Port): 422 ``has_dependents`` naming what relates to
        which. (An entity related to while the call runs is kept alone: ``keptEntities``.)"""
        blueprint = request.path_params["bp"]
        body = await json_object(request, bulk_cap(request))
        most = limits_of(request).delete_identifiers
        sent = list(dict.fromkeys(identifiers(body, most)))
        await self.reader.blueprint(blueprint)
        stored = await self.store.get_entities(blueprint, sent)
        keys = [(blueprint, identifier) for identifier in sent if identifier in stored]
        deleted: list[str] = []
        kept: list[str] = []
        if keys:
            dependents = flag(request, "delete_dependents")
            result = await self.gateway.delete(
                self.callers.of(request), keys, delete_dependents=dependents, whole=True
            )
            if result.blocked and not result.deleted:
                return _in_use(blueprint, result.blocked)
            deleted = [i for bp, i in result.deleted if bp == blueprint]
            kept = [i for bp, i in result.blocked if bp == blueprint]
        missing = [identifier for identifier in sent if identifier not in stored]
        answer = {"ok": True, "deletedEntities": deleted, "notFound": missing}
        return _JSON(answer | ({"keptEntities": kept} if kept else {}))

    async def time(self, request: Request) -> Response:
        """Ocean's extension: the time by the clock the catalog stamps its writes with, so
        that a client's resync start compares with them (:meth:`Store.now`)."""
        return _JSON({"ok": True, "now": await self.store.now()})

    async def recall_pages(self, request: Request) -> Response:
        """Ocean's extension: the page records the writer kept that still hold."""
        slot, fingerprint = _page_slot(await json_object(request))
        store = self.store
        if not isinstance(store, RemembersPages) or not store.remembers_pages():
            return _JSON({"ok": True, "records": []})
        records = await store.recall_pages(writer_of(request), slot, fingerprint)
        return _JSON(
            {
                "ok": True,
                "records": [{"digest": r.digest.hex(), "record": encoded(r)} for r in records],
            }
        )

    async def remember_pages(self, request: Request) -> Response:
        """Ocean's extension: replace the writer's page records of a resource."""
        body, store = await json_object(request, bulk_cap(request)), self.store
        slot, fingerprint = _page_slot(body)
        try:
            records = [decoded(bytes.fromhex(i["digest"]), i["record"]) for i in body["records"]]
        except (KeyError, TypeError, ValueError) as error:
            raise StoreError(
                f"records must be a list of {{digest: hex, record: JSON text}} ({error!r})"
            ) from None
        if isinstance(store, RemembersPages) and store.remembers_pages():
            await store.remember_pages(writer_of(request), slot, fingerprint, records)
        return _JSON({"ok": True})

    async def owned(self, request: Request) -> Response:
        """Entities a datasource owns (by prefix and suffix), optionally not updated since `before`."""
        body = await json_object(request)
        owner = owner_of(
            str(body.get("datasource_prefix", "")) + "0" + str(body.get("datasource_suffix", ""))
        )
        require_integration(principal_of(request), owner.identifier, "list the entities of")
        before, limit = instant(body, "before"), number(body, "limit", 5000)
        if not 1 <= limit <= _MOST_OWNED:
            raise RequestError(
                f"limit must be from 1 to {_MOST_OWNED} (entities per page), got {limit}"
            )
        keys, last = await self.store.owned_page(
            owner, before=before, after=cursor(body, "from"), limit=limit
        )
        entities = [{"blueprint": bp, "identifier": ident} for bp, ident in keys]
        return _JSON({"ok": True, "entities": entities, "next": list(last) if last else None})

    async def resync_state(self, request: Request) -> Response:
        """Record an integration's resync state (running, completed, failed, aborted); a
        run report's fields (``kinds``, ``errors``, ...), when sent, of the types the
        catalog's readers read (else 422 naming the field)."""
        body, identifier = await json_object(request), integration_id(request)
        started, ended = moment(body, "lastResyncStart"), moment(body, "lastResyncEnd")
        if (problem := report_problem(body)) is not None:
            raise RequestError(f"the resync state's {problem}")
        if body.get("status") in ("completed", "failed", "aborted"):
            started = started or await self._started(identifier)
            await self.store.record_run(
                RunRecord(identifier, "port-api", started or "", ended, str(body["status"]), body)
            )
        return _JSON(
            {"ok": True, "integration": await self.integrations.resync_state(identifier, body)}
        )

    async def _started(self, identifier: str) -> str | None:
        """When the integration's resync under way started, as its ``running`` state said
        (an end's state does not say it again, the original's nor Ocean's)."""
        record = await self.store.get_integration(identifier) or {}
        state = record.get("resyncState")
        return moment(state, "lastResyncStart") if isinstance(state, dict) else None

    async def resync_request(self, request: Request) -> Response:
        """The integration's latest resync request (the polling watermark)."""
        requested = await self.store.resync_requested_at(integration_id(request))
        return _JSON({"ok": True, "request": {"updatedAt": requested} if requested else None})


def _write_options(request: Request) -> dict[str, Any]:
    return {
        "merge": flag(request, "merge"),
        "create_missing_related": flag(request, "create_missing_related_entities"),
        # Ocean's client asks the catalog to leave unchanged entities alone (one call
        # instead of a search and an upsert); Port's bulk route always writes.
        "only_changed": flag(request, "only_changed"),
    }


def _in_use(blueprint: str, blocked: dict[EntityKey, list[EntityKey]]) -> Response:
    """A bulk deletion without dependents refused: what relates to each entity it took."""
    named = [
        f"{identifier!r} (related to by {', '.join(f'{bp}/{i}' for bp, i in users[:5])})"
        for (_, identifier), users in list(blocked.items())[:10]
    ]
    return _error(
        422,
        "has_dependents",
        f"nothing was deleted: entities of blueprint {blueprint!r} have dependents: "
        f"{'; '.join(named)}; send delete_dependents=true to delete those too, or remove "
        "their relations first",
    )


def _page_slot(body: dict[str, Any]) -> tuple[str, str]:
    slot, fingerprint = body.get("slot"), body.get("fingerprint")
    if not isinstance(slot, str) or not isinstance(fingerprint, str):
        raise StoreError("page records are named by a string slot and fingerprint")
    return slot, fingerprint


async def _store_error(request: Request, error: Exception) -> Response:
    code = "invalid_query" if isinstance(error, SearchError) else "invalid_request"
    return _error(422, code, str(error))


def _address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


async def _too_deep(request: Request, error: Exception) -> Response:
    """A body JSON reads (up to 1,024 levels) that the checks or the store cannot walk (the
    traceback is logged: a recursion that is a bug shows there)."""
    _log.warning("%s %s: recursion too deep", request.method, request.url.path, exc_info=error)
    return _error(422, "invalid_request", "the body is nested too deeply: send a flatter one")


async def _forbidden(request: Request, error: Exception) -> Response:
    return _error(403, "forbidden", str(error))


async def _rate_limited(request: Request, error: Exception) -> Response:
    wait = error.retry_after if isinstance(error, RateLimitedError) else 60
    refused = _error(429, "rate_limited", str(error))
    refused.headers["Retry-After"] = str(wait)
    return refused


async def _missing(request: Request, error: Exception) -> Response:
    return _error(404, "not_found", str(error))


async def _conflict(request: Request, error: Exception) -> Response:
    return _error(409, "conflict", str(error))


async def _unavailable(request: Request, error: Exception) -> Response:
    return unavailable(error)


async def _too_large(request: Request, error: Exception) -> Response:
    return _error(413, "request_too_large", str(error))


def _unstorable_errors() -> list[type[Exception]]:
    """PostgreSQL's refusals of a value holding NUL (asyncpg's, when that extra is
    installed): handled as the errors above, so that the connection is kept (the handler of
    ``Exception`` answers, then raises again: the server logs it and drops the connection)."""
    if importlib.util.find_spec("asyncpg") is None:
        return []
    import asyncpg

    return [getattr(asyncpg, name) for name in UNSTORABLE]


async def _unstorable(request: Request, error: Exception) -> Response:
    """A NUL the catalog cannot store, naming the path or query values that hold one."""
    held = [
        f"the {where} {name} ({value!r:.60})"
        for where, values in (
            ("path parameter", list(request.path_params.items())),
            ("query parameter", request.query_params.multi_items()),
        )
        for name, value in values
        if isinstance(value, str) and "\x00" in value
    ]
    if not held:
        return _error(422, "invalid_request", UNSTORABLE_MESSAGE)
    return _error(
        422,
        "invalid_request",
        f"{', '.join(held)} holds a character the catalog cannot store (NUL, \\u0000): remove it",
    )


async def _failed(request: Request, error: Exception) -> Response:
    """A bug, answered as JSON like every other error (the traceback is in the server's log)."""
    if type(error).__name__ in UNSTORABLE:  # a client's value, not a bug
        return _error(422, "invalid_request", UNSTORABLE_MESSAGE)
    return _error(
        500,
        "internal_error",
        f"{request.method} {request.url.path} failed ({type(error).__name__}); "
        "see the server's log, and report it if the request was valid",
    )


async def _not_found(request: Request, error: Exception) -> Response:
    return _error(404, "not_found", f"no route {request.method} {request.url.path}")


async def _not_allowed(request: Request, error: Exception) -> Response:
    return _error(
        405, "method_not_allowed", f"{request.method} is not allowed on {request.url.path}"
    )
