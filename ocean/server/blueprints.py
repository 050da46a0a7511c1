"""Port's blueprint routes: list and create, get, replace (``PUT``), update (``PATCH``:
top-level keys replaced) and delete one (refused, 409, while it has entities or another
blueprint relates to it), and delete a blueprint's entities
(``DELETE /v1/blueprints/{bp}/all-entities``, with ``delete_blueprint=true`` the blueprint
too), answered with a migration id whose state ``GET /v1/migrations/{id}`` reports, as
Port's clients (``port-ocean defaults clean``) expect. Writes go through the
:class:`WriteGateway`.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ocean.errors import ConflictError, NotFoundError, RequestError
from ocean.server.aggregations import aggregation_target_problems, aggregations
from ocean.server.bodies import json_object, text
from ocean.server.caller import Caller, Callers
from ocean.server.gateway import WriteGateway
from ocean.server.reading import Reader
from ocean.server.responses import JSON, flag
from ocean.store.base import now_iso
from ocean.store.blueprint_removal import refuse_deletion
from ocean.store.validation import blueprint_problems
from ocean.types import EntityKey

_DELETE_BATCH = 1000
_SHOWN = 10
"""Entities a failed migration's reason names (and relating entities per entity)."""
_Kept = dict[EntityKey, list[EntityKey]]
"""Entities a deletion kept, each with the entities relating to it."""
_log = logging.getLogger(__name__)
_MAPS = ("relations", "mirrorProperties", "calculationProperties", "aggregationProperties")
_STAMPS = ("identifier", "createdAt", "updatedAt", "createdBy", "updatedBy")


class BlueprintRoutes:
    def __init__(self, reader: Reader, gateway: WriteGateway, callers: Callers) -> None:
        self.reader, self.gateway, self.callers = reader, gateway, callers
        self._migrations: dict[str, dict[str, Any]] = {}

    def routes(self) -> list[Route]:
        one = "/v1/blueprints/{bp}"
        return [
            Route("/v1/blueprints", self.list, methods=["GET"]),
            Route("/v1/blueprints", self.create, methods=["POST"]),
            Route(one, self.get, methods=["GET"]),
            Route(one, self.replace, methods=["PUT"]),
            Route(one, self.update, methods=["PATCH"]),
            Route(one, self.delete, methods=["DELETE"]),
            Route(f"{one}/all-entities", self.delete_entities, methods=["DELETE"]),
            Route("/v1/migrations/{id}", self.migration, methods=["GET"]),
        ]

    async def list(self, request: Request) -> Response:
        """List blueprints."""
        return JSON({"ok": True, "blueprints": list((await self.reader.blueprints()).values())})

    async def create(self, request: Request) -> Response:
        """Create a blueprint (409 when it exists; 422 when its identifier holds ``/``,
        which no path could name)."""
        body = await json_object(request)
        identifier = str(text(body, "identifier"))
        if "/" in identifier:
            raise RequestError(
                f"blueprint identifier {identifier!r} holds '/': a blueprint is named in "
                "paths (/v1/blueprints/{identifier}), where '/' cannot be told from a "
                "separator, encoded or not; use another character, such as '-' or ':'"
            )
        blueprint = {"relations": {}, "schema": {"properties": {}}} | body
        _refuse_aggregations(blueprint, await self.reader.blueprints())
        await self.gateway.create_blueprint(self.callers.of(request), blueprint)
        return JSON({"ok": True, "blueprint": await self.reader.blueprint(identifier)}, 201)

    async def get(self, request: Request) -> Response:
        """Get a blueprint."""
        return JSON(
            {"ok": True, "blueprint": await self.reader.blueprint(request.path_params["bp"])}
        )

    async def update(self, request: Request) -> Response:
        """Update a blueprint: the top-level keys sent replace the stored ones."""
        return await self._change(request, await json_object(request))

    async def replace(self, request: Request) -> Response:
        """Replace a blueprint with the body (keys left out are cleared)."""
        body = await json_object(request)
        current = await self.reader.blueprint(request.path_params["bp"])
        cleared: dict[str, Any] = {
            key: ({} if key in _MAPS else None)
            for key in current
            if key not in body and key not in _STAMPS and key != "schema"
        }
        return await self._change(request, cleared | body, current)

    async def _change(
        self, request: Request, patch: dict[str, Any], current: dict[str, Any] | None = None
    ) -> Response:
        identifier = request.path_params["bp"]
        sent = patch.get("identifier", identifier)
        if sent != identifier:
            raise RequestError(
                f"the body's identifier {sent!r} is not the path's {identifier!r}: "
                "a blueprint cannot be renamed; leave it out, or send the same"
            )
        before = current or await self.reader.blueprint(identifier)
        patch = {k: v for k, v in patch.items() if k not in _STAMPS}
        if "aggregationProperties" in patch:
            _refuse_aggregations(before | patch, await self.reader.blueprints())
        updated = await self.gateway.update_blueprint(self.callers.of(request), before, patch)
        if updated is None:
            raise NotFoundError(f"blueprint {identifier!r} does not exist")
        return JSON({"ok": True, "blueprint": await self.reader.blueprint(identifier)})

    async def delete(self, request: Request) -> Response:
        """Delete a blueprint without entities (409 while it has some or another relates to it)."""
        await self.gateway.delete_blueprint(self.callers.of(request), request.path_params["bp"])
        return JSON({"ok": True})

    async def delete_entities(self, request: Request) -> Response:
        """Delete every entity of a blueprint (``delete_blueprint=true``: the blueprint
        too); answers the migration's id (it is done by then). An entity that others relate
        to is kept: the migration is then ``FAILED``, its ``failureReason`` naming what
        remains and why, and the blueprint is kept."""
        identifier = request.path_params["bp"]
        await self.reader.blueprint(identifier)
        caller, also_blueprint = self.callers.of(request), flag(request, "delete_blueprint")
        if also_blueprint:  # refused before anything is deleted, as a relation to it would be
            blueprints = await self.reader.store.list_blueprints()
            others = {bp["identifier"]: bp for bp in blueprints if bp["identifier"] != identifier}
            refuse_deletion(identifier, 0, others)
        deleted, kept = await self._delete_all(caller, identifier)
        refused = None
        if also_blueprint and not kept:
            try:
                await self.gateway.delete_blueprint(caller, identifier)
            except ConflictError as error:  # an entity made meanwhile
                refused = f"the entities were deleted, the blueprint was kept: {error}"
        migration = {
            "id": f"migration_{uuid.uuid4().hex[:16]}",
            "actor": caller.credential or caller.owner.datasource,
            "sourceBlueprint": identifier,
            "mapping": {},
            "status": "FAILED" if kept or refused else "COMPLETED",
            "deletedEntities": deleted,
            "createdAt": now_iso(),
        }
        if kept or refused:
            migration["failureReason"] = refused or _remained(identifier, kept, also_blueprint)
        self._migrations[migration["id"]] = migration
        return JSON({"ok": True, "migrationId": migration["id"]})

    async def _delete_all(self, caller: Caller, blueprint: str) -> tuple[int, _Kept]:
        """Delete ``blueprint``'s entities (those stored when asked) a batch at a time, then
        again those a pass kept, while a pass deletes some (one kept in a batch for another
        of them that a later batch deleted): how many were deleted, and those the last pass
        kept, each with the entities relating to it."""
        deleted = 0
        keys = [
            (blueprint, str(e["identifier"]))
            async for e in self.reader.store.iter_entities(blueprint)
        ]
        while True:
            gone, kept = 0, _Kept()
            for start in range(0, len(keys), _DELETE_BATCH):
                batch = keys[start : start + _DELETE_BATCH]
                result = await self.gateway.delete(caller, batch, delete_dependents=False)
                gone, kept = gone + len(result.deleted), kept | result.blocked
            deleted += gone
            if not gone or not kept:
                return deleted, kept
            keys = sorted(key for key in kept if key[0] == blueprint)

    async def migration(self, request: Request) -> Response:
        """A migration's state (those of all-entities deletes)."""
        found = self._migrations.get(request.path_params["id"])
        if found is None:
            raise NotFoundError(f"migration {request.path_params['id']!r} does not exist")
        return JSON({"ok": True, "migration": found})


def _refuse_aggregations(blueprint: dict[str, Any], blueprints: dict[str, dict[str, Any]]) -> None:
    """:class:`RequestError` (422) naming what of ``blueprint``'s aggregation properties
    their targets cannot answer (what the definitions alone get wrong the store says)."""
    if blueprint_problems(blueprint, {*blueprints, str(blueprint.get("identifier"))}):
        return  # (malformed: the store refuses it, naming what is wrong)
    problems = aggregation_target_problems(blueprint, blueprints)
    if problems:
        raise RequestError("blueprint rejected:\n  - " + "\n  - ".join(problems))
    if kept := aggregations(blueprint, blueprints)[1]:
        _log.warning(
            "blueprint %r: this catalog does not compute the aggregation properties %s "
            "(averages per time period, pathFilter, targets related through other "
            "blueprints): they show null",
            blueprint.get("identifier"),
            kept,
        )


def _remained(blueprint: str, kept: _Kept, also_blueprint: bool) -> str:
    """Why a deletion of ``blueprint``'s entities left ``kept`` (each with those relating to
    it), and what to do."""
    named = [
        f"{identifier!r} (related to by {', '.join(f'{bp}/{ident}' for bp, ident in by[:_SHOWN])}"
        + (f" and {len(by) - _SHOWN} more)" if len(by) > _SHOWN else ")")
        for (_, identifier), by in sorted(kept.items())[:_SHOWN]
    ]
    more = f" and {len(kept) - _SHOWN} more" if len(kept) > _SHOWN else ""
    return (
        f"{len(kept)} entities of blueprint {blueprint!r} remain, as other entities relate to "
        f"them: {'; '.join(named)}{more}. Delete those first or remove their relations, or "
        f"delete these with them (POST /v1/blueprints/{blueprint}/bulk/entities/delete?"
        "delete_dependents=true), then delete again"
        + ("; the blueprint was not deleted" if also_blueprint else "")
    )
