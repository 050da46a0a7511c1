"""Who may call what on the catalog server.

:class:`Authenticated` checks every request's token against its credential (revoked or
rotated: 401 at once) and puts the :class:`~ocean.server.principal.Principal` on the
request. It then applies the rules a route's path and method decide:

- ``read-only``: every write is refused (403); reads are every ``GET`` and the searches
  and scans sent as ``POST``.
- ``integration``: writes only through the routes an integration syncs with (entity
  upserts, changes and deletes, which :class:`~ocean.server.gateway.WriteGateway` checks
  with :class:`Ownership`; blueprint creates and changes; its integration record, resync
  state, cursors, page records, the ingest sinks; the execution protocol of its action
  runs: claim, acknowledge, PATCH, log and lease, which :mod:`ocean.server.actions` keeps
  to its own integration's runs; the claim of its workflow node runs, none here); any
  other write (a route added later, a blueprint's delete, deleting all of a blueprint's
  entities, an integration's delete) is for admins. ``/v1/integration/{id}...`` must be its own integration.
- ``admin``: everything.

Which entities a write may touch is checked by the routes with :class:`Ownership`: an
integration changes and deletes only entities one of whose datasources is its own.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from ocean.errors import CatalogUnavailableError, ForbiddenError
from ocean.server.login import TokenGate
from ocean.server.principal import Principal
from ocean.server.responses import unavailable
from ocean.store.base import Store
from ocean.store.ownership import KnowsDatasources
from ocean.store.validation import identifier_problem
from ocean.types import Entity, EntityKey

_READ_POSTS = re.compile(
    r"^/v1/(entities/search|blueprints/entities/datasource-entities|blueprints/[^/]+/entities/search"
    r"|ocean/pages/recall|ocean/referenced)$"
)
_INTEGRATION_WRITES = {
    "POST": re.compile(
        r"^/v1/(blueprints|blueprints/[^/]+/entities(/bulk)?|blueprints/[^/]+/bulk/entities/delete"
        r"|integration|integration/[^/]+/cursor|integration/[^/]+/kinds/.+/examples"
        r"|actions/runs/claim-pending|actions/runs/[^/]+/logs|ocean/actions/runs/[^/]+/lease"
        r"|workflows/runs/claim-pending)$"
        r"|^/__ingest/"
    ),
    "PATCH": re.compile(
        r"^/v1/(blueprints/[^/]+|integration/[^/]+(/config|/resync-state)?|actions/runs/[^/]+)$"
        r"|^/v1/blueprints/[^/]+/entities/.+$"
    ),
    "PUT": re.compile(
        r"^/v1/(blueprints/[^/]+|integration/[^/]+/cursor|ocean/pages)$|^/__ingest/"
        r"|^/v1/blueprints/[^/]+/entities/.+$"
    ),
    "DELETE": re.compile(r"^/v1/blueprints/[^/]+/entities/.+$"),
}
_INTEGRATION_PATH = re.compile(r"^/v1/integration/([^/]+)")
_SHOWN = 5


def is_read(method: str, path: str) -> bool:
    return method in ("GET", "HEAD", "OPTIONS") or (
        method == "POST" and _READ_POSTS.match(path) is not None
    )


def _provision_listing(method: str, path: str) -> bool:
    """``GET /v1/integration/provision-enabled``, anyone's to read; every other method and
    path under it is the integration identified ``provision-enabled``'s."""
    return method in ("GET", "HEAD") and path == "/v1/integration/provision-enabled"


def refusal(principal: Principal, method: str, path: str) -> str | None:
    """Why ``principal`` may not call ``method path`` at all (None: it may, though the
    route may still refuse what it touches)."""
    if principal.admin:
        return None
    bound = _INTEGRATION_PATH.match(path)
    if bound and principal.integration and not _provision_listing(method, path):
        if not principal.may_act_for(bound.group(1)):
            return f"{principal} may not use the integration {bound.group(1)!r}"
    if is_read(method, path):
        return None
    if principal.read_only:
        return f"{principal} may only read: {method} {path} writes; use an admin credential"
    allowed = _INTEGRATION_WRITES.get(method)
    if allowed is None or allowed.match(path) is None:
        return (
            f"{principal} may not {method} {path}: integration credentials write only the "
            "entities, blueprints and integration records they sync, and run their own "
            "integration's action runs; use an admin credential"
        )
    return None


class Authenticated:
    """Pure ASGI middleware (no per-request task, unlike ``BaseHTTPMiddleware``): every
    route but the ``open`` ones needs a valid token of an active credential, and its role
    must allow the route."""

    def __init__(self, app: ASGIApp, gate: TokenGate, store: Store, open: Iterable[str]) -> None:
        self._app, self._gate, self._store, self._open = app, gate, store, frozenset(open)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] != "http" or path in self._open:
            await self._app(scope, receive, send)
            return
        authorization = dict(scope["headers"]).get(b"authorization", b"").decode("latin-1")
        try:
            checked = await self._gate.check(self._store, authorization or None)
        except CatalogUnavailableError as error:  # (outside the routes' error handlers)
            await unavailable(error)(scope, receive, send)
            return
        if checked.principal is None:
            await _refused(401, "unauthorized", checked.refusal)(scope, receive, send)
            return
        why = refusal(checked.principal, scope.get("method", "GET"), path)
        if why is not None:
            await _refused(403, "forbidden", why)(scope, receive, send)
            return
        scope.setdefault("state", {})["principal"] = checked.principal
        await self._app(scope, receive, send)


class Ownership:
    """Which entities a principal may change: an admin any, an integration those that do
    not exist yet, placeholders (made for a missing relation target by another's write:
    the integration that syncs the real entity writes it, and takes it over) and those one
    of whose datasources is its own."""

    def __init__(self, store: Store) -> None:
        self.store = store

    async def foreign(self, principal: Principal, keys: list[EntityKey]) -> dict[EntityKey, str]:
        """Those of ``keys`` ``principal`` may not change, each with why."""
        if principal.admin or not keys:
            return {}
        store = self.store
        if not isinstance(store, KnowsDatasources):
            raise ForbiddenError(
                f"this catalog ({type(store).__name__}) cannot tell who owns its entities: "
                "only admin credentials change entities through it"
            )
        owners = await store.datasources_of(keys)
        return {
            key: _owned_by(principal, key, datasources)
            for key, datasources in owners.items()
            if not any(principal.owns(d) for d in datasources)
        }

    async def partition(
        self, principal: Principal, entities: list[Entity]
    ) -> tuple[list[int], dict[int, str]]:
        """The positions of the ``entities`` ``principal`` may write, and why each of the
        others is refused (an entity without a valid identifier is left to validation)."""
        keys = {
            i: (str(e.get("blueprint")), e["identifier"])
            for i, e in enumerate(entities)
            if identifier_problem(e.get("identifier")) is None
        }
        refused = await self.foreign(principal, list(keys.values()))
        denied = {i: refused[key] for i, key in keys.items() if key in refused}
        return [i for i in range(len(entities)) if i not in denied], denied

    async def check(self, principal: Principal, keys: list[EntityKey], action: str) -> None:
        """:class:`ForbiddenError` naming the owners when any of ``keys`` is not its to change."""
        refused = await self.foreign(principal, keys)
        if refused:
            first = list(refused.values())[:_SHOWN]
            more = f" (and {len(refused) - _SHOWN} more)" if len(refused) > _SHOWN else ""
            raise ForbiddenError(f"cannot {action}: " + "; ".join(first) + more)

    async def check_delete(
        self, principal: Principal, keys: list[EntityKey], *, delete_dependents: bool
    ) -> list[EntityKey] | None:
        """As :meth:`check`, and with ``delete_dependents`` every entity the delete would
        cascade to (those relating to ``keys``, transitively) must be its own too: then
        those checked, ``keys`` and all they lead to (None: an admin's, or no cascade). The
        deletion must take no more than those: an entity written meanwhile relating to
        one of them was not checked."""
        await self.check(principal, keys, "delete")
        if principal.admin or not delete_dependents:
            return None
        seen, frontier = set(keys), list(dict.fromkeys(keys))
        while frontier:
            found = await self.store.dependents(frontier, after="9999")
            frontier = sorted(set().union(*found.of.values()) - seen) if found.of else []
            seen.update(frontier)
            await self.check(principal, frontier, "delete the entities relating to these")
        return sorted(seen)


def _owned_by(principal: Principal, key: EntityKey, datasources: list[str]) -> str:
    owner = ", ".join(datasources) if datasources else "no integration (written by hand)"
    return (
        f"{key[1]!r} of blueprint {key[0]!r} is owned by {owner}, not by {principal}; "
        "let its owner change it, or use an admin credential"
    )


def _refused(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse({"ok": False, "error": code, "message": message}, status_code=status)
