"""The integration resource the original reads and writes at start-up and around resyncs.

Records are kept in the catalog store, so they survive a restart of the server.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from ocean.errors import ConflictError, RequestError, StoreError
from ocean.installation import ORGANIZATION_ID, embedded_organization
from ocean.server.bodies import SMALL_BODY, json_object, read_capped, text
from ocean.server.principal import principal_of, require_integration
from ocean.store.base import KeepsCursors, RemovesIntegrations, Store, now_iso


class Integrations:
    """``/v1/integration`` routes, the organization (with ``feature_flags``) and the sinks
    Ocean posts to."""

    def __init__(self, store: Store, feature_flags: Sequence[str] = ()) -> None:
        self.store, self.feature_flags = store, tuple(feature_flags)

    async def get(self, request: Request) -> Response:
        """Get an integration."""
        record = await self.store.get_integration(integration_id(request))
        if record is None:
            return JSONResponse(
                {"ok": False, "error": "not_found", "message": "integration not installed"},
                status_code=404,
            )
        return JSONResponse({"ok": True, "integration": record})

    async def create(self, request: Request) -> Response:
        """Register an integration (409 when it is registered: PATCH changes it)."""
        body = await json_object(request, SMALL_BODY)
        identifier = keyed_name(str(text(body, "installationId")), "installationId", MOST_ID)
        require_integration(principal_of(request), identifier, "register")
        base = str(request.base_url).rstrip("/")
        record = (
            {
                "identifier": identifier,
                "installationId": identifier,
                "installationType": "OnPrem",
                "_orgId": ORGANIZATION_ID,
                "config": {},
                "resyncState": None,
                "arePortResourcesInitialized": False,
                "logAttributes": {"ingestUrl": f"{base}/__ingest/logs"},
                "metricAttributes": {"ingestUrl": f"{base}/__ingest/metrics"},
                "ingestAttributes": {"ingestUrl": f"{base}/__ingest/lake"},
                "createdAt": now_iso(),
                "updatedAt": now_iso(),
            }
            | body
            | {"identifier": identifier, "installationId": identifier}
        )  # the body's own
        if await self.store.update_integration(identifier, partial(_new, record)) is None:
            raise ConflictError(
                f"integration {identifier!r} is registered already: change it with "
                f"PATCH /v1/integration/{identifier}"
            )
        return JSONResponse({"ok": True, "integration": record})

    async def patch(self, request: Request) -> Response:
        """Patch an integration (config, changelog destination, version...)."""
        identifier = integration_id(request)
        body = await json_object(request, SMALL_BODY)
        record = await self.store.update_integration(
            identifier, partial(_patched, identifier, body)
        )
        if record is None:
            return JSONResponse(
                {"ok": False, "error": "not_found", "message": "integration not installed"},
                status_code=404,
            )
        return JSONResponse({"ok": True, "integration": record})

    async def delete(self, request: Request) -> Response:
        """Delete an integration's record and its cursors (``defaults clean --destroy``)."""
        identifier, store = integration_id(request), self.store
        if not isinstance(store, RemovesIntegrations):
            raise StoreError("this catalog cannot delete integration records")
        if not await store.delete_integration(identifier):
            return JSONResponse(
                {"ok": False, "error": "not_found", "message": "integration not installed"},
                status_code=404,
            )
        return JSONResponse({"ok": True})

    async def get_cursor(self, request: Request) -> Response:
        """An incremental-sync cursor: ``{"cursor": {"primary": ISO time}}``, or null."""
        identifier, kind, index = _cursor_address(request)
        value = await _cursors(self.store).get_cursor(identifier, kind, index)
        return JSONResponse({"ok": True, "cursor": {"primary": value} if value else None})

    async def put_cursor(self, request: Request) -> Response:
        """Create or replace an incremental-sync cursor (PUT and POST alike)."""
        identifier, kind, index = _cursor_address(request)
        value = str(text(await json_object(request, SMALL_BODY), "primary"))
        value = keyed_name(value, "primary")
        await _cursors(self.store).save_cursor(identifier, kind, index, value)
        return JSONResponse({"ok": True, "cursor": {"primary": value}})

    async def resync_state(self, identifier: str, state: dict[str, Any]) -> dict[str, Any]:
        """Keep ``state`` as the integration's resync state, stamped (an integration not
        registered gets a record holding only it)."""
        change = partial(_resync_state, identifier, state)
        return await self.store.update_integration(identifier, change) or {}

    async def organization(self, _: Request) -> Response:
        """The organization: its id and the feature flags the server was given
        (``OCEAN__CATALOG__FEATURE_FLAGS``; none by default)."""
        answer = embedded_organization(self.feature_flags)
        return JSONResponse({"ok": True, "organization": answer})

    async def provision_enabled(self, _: Request) -> Response:
        """Whether Port provisions defaults (never, here)."""
        return JSONResponse({"ok": True, "integrations": []})

    async def accepted(self, request: Request) -> Response:
        """Accept and drop (kind examples, log and metric ingestion): read within the cap."""
        await read_capped(request, SMALL_BODY)
        return JSONResponse({"ok": True})


# What update_integration runs in the catalog's transaction (module functions: a catalog in
# a child process is handed them pickled).


def _new(record: dict[str, Any], stored: dict[str, Any] | None) -> dict[str, Any] | None:
    """``record`` when none is stored, else nothing (a registered one is kept as it is)."""
    return record if stored is None else None


def _patched(
    identifier: str, patch: dict[str, Any], stored: dict[str, Any] | None
) -> dict[str, Any] | None:
    """The stored record with ``patch``'s keys (None: none is stored), still under its
    identifier: a patch does not rename (nor move) an integration."""
    if stored is None:
        return None
    return (
        stored
        | patch
        | {
            "identifier": identifier,
            "installationId": stored.get("installationId", identifier),
            "updatedAt": now_iso(),
        }
    )


def _resync_state(
    identifier: str, state: dict[str, Any], stored: dict[str, Any] | None
) -> dict[str, Any]:
    return (stored or {"identifier": identifier}) | {
        "resyncState": state | {"updatedAt": now_iso()}
    }


_MOST_INDEX = 2**31 - 1
"""A cursor's resource index is stored as a 32-bit integer."""
MOST_ID, _MOST_KIND = 200, 300
"""The most characters of an integration identifier and of a cursor's kind: the catalog
keys its records by them (PostgreSQL's key index holds ~2,700 bytes, a character up to 4)."""


def keyed_name(value: str, what: str, most: int | None = None) -> str:
    """``value``, a name or value the catalog keeps: :class:`RequestError` (422) naming it
    when it holds NUL or passes ``most`` characters, on every backend alike (SQLite kept
    either, PostgreSQL refuses NUL in text and a key past its index's size)."""
    if "\x00" in value:
        raise RequestError(
            f"{what} {value!r:.80} holds NUL (\\u0000), which the catalog cannot store: remove it"
        )
    if most is not None and len(value) > most:
        raise RequestError(
            f"{what} {value[:40]!r}... is {len(value):,} characters, over the {most} the "
            "catalog keeps: use a shorter one"
        )
    return value


def integration_id(request: Request) -> str:
    """The integration identifier of the route's path, checked (:func:`keyed_name`)."""
    return keyed_name(str(request.path_params["id"]), "the integration identifier", MOST_ID)


def _cursor_address(request: Request) -> tuple[str, str, int]:
    """The integration, kind and resource index a cursor route names."""
    kind, index = request.query_params.get("kind"), request.query_params.get("index", "0")
    if not kind:
        raise RequestError("the query parameter kind is missing: name the cursor's kind")
    if not (index.isascii() and index.isdigit() and len(index) <= 10) or int(index) > _MOST_INDEX:
        raise RequestError(
            f"the query parameter index must be a whole number up to {_MOST_INDEX} (the "
            f"resource's place in the mapping), got {index!r}"
        )
    kind = keyed_name(kind, "the query parameter kind", _MOST_KIND)
    return integration_id(request), kind, int(index)


def _cursors(store: Store) -> KeepsCursors:
    if not isinstance(store, KeepsCursors):
        raise StoreError("this catalog keeps no incremental-sync cursors")
    return store
