"""Port's entity routes that people and scripts call (Ocean's sync uses the bulk ones in
:mod:`ocean.server.app`): list a blueprint's entities, get one, search (per blueprint or
across them, with ``include``/``exclude`` in the query string or the body), create or
upsert one (``upsert``, ``merge``, ``create_missing_related_entities``,
``validation_only``), replace it (``PUT``), update it (``PATCH``) and delete it
(``delete_dependents``). Reads carry calculation, mirror and aggregation properties
(:mod:`ocean.server.computed`); writes go through the :class:`WriteGateway`.
"""

from __future__ import annotations

import urllib.parse
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ocean.errors import ConflictError, RequestError
from ocean.server.bodies import bulk_cap, json_object
from ocean.server.caller import Callers
from ocean.server.gateway import WriteGateway
from ocean.server.reading import Reader, View
from ocean.server.responses import JSON, failed_write, flag
from ocean.types import Entity

_SEARCH_FIELDS = {"query", "include", "exclude", "limit", "from"}
_PAGE, _MOST = 200, 1000


class EntityRoutes:
    def __init__(self, reader: Reader, gateway: WriteGateway, callers: Callers) -> None:
        self.reader, self.gateway, self.callers = reader, gateway, callers

    def routes(self) -> list[Route]:
        """The routes, literal paths before ``{id}`` ones."""
        one = "/v1/blueprints/{bp}/entities/{id:path}"
        return [
            Route("/v1/entities/search", self.search, methods=["POST"]),
            Route("/v1/blueprints/{bp}/entities/search", self.search_blueprint, methods=["POST"]),
            Route("/v1/blueprints/{bp}/entities-count", self.count, methods=["GET"]),
            Route("/v1/blueprints/{bp}/entities", self.list, methods=["GET"]),
            Route("/v1/blueprints/{bp}/entities", self.create, methods=["POST"]),
            Route(one, self.get, methods=["GET"]),
            Route(one, self.replace, methods=["PUT"]),
            Route(one, self.update, methods=["PATCH"]),
            Route(one, self.delete, methods=["DELETE"]),
        ]

    async def list(self, request: Request) -> Response:
        """List a blueprint's entities (include / exclude, exclude_calculated_properties)."""
        blueprint = request.path_params["bp"]
        await self.reader.blueprint(blueprint)
        found = await self.reader.store.search(_of_blueprint(blueprint, None))
        return JSON({"ok": True, "entities": await self.reader.shown(found, View.of(request))})  # type: ignore[arg-type]

    async def count(self, request: Request) -> Response:
        """How many entities a blueprint has."""
        blueprint = request.path_params["bp"]
        await self.reader.blueprint(blueprint)
        found = await self.reader.store.search(_of_blueprint(blueprint, None))
        return JSON({"ok": True, "count": len(found)})

    async def get(self, request: Request) -> Response:
        """Get one entity (include / exclude, exclude_calculated_properties)."""
        entity = await self.reader.entity(request.path_params["bp"], _identifier(request))
        (shown,) = await self.reader.shown([entity], View.of(request))
        return JSON({"ok": True, "entity": shown})

    async def search(self, request: Request) -> Response:
        """Search entities with Port's query language (include / exclude in the query
        string or beside the query in the body)."""
        body = await json_object(request, bulk_cap(request))
        view = View.of(request, body)
        query = {k: v for k, v in body.items() if k not in ("include", "exclude")}
        if view.exclude_calculated and not await self.reader.names_computed(query):
            # (Ocean's diffing) the store projects as it reads
            found = await self.reader.store.search(
                query, include=view.include, exclude=view.exclude
            )
            return JSON({"ok": True, "entities": found})
        entities, computed = await self.reader.matching(query, view)
        shown = await self.reader.shown(entities, view, computed=computed)
        return JSON({"ok": True, "entities": shown})

    async def search_blueprint(self, request: Request) -> Response:
        """Search a blueprint's entities: ``{query?, include?, exclude?, limit?, from?}``,
        a page of ``limit`` (200, at most 1,000) and the ``next`` page's cursor."""
        blueprint, body = request.path_params["bp"], await json_object(request)
        unknown = sorted(body.keys() - _SEARCH_FIELDS)
        if unknown:
            raise RequestError(
                f"unknown fields {unknown} in the search body: send only {sorted(_SEARCH_FIELDS)}"
            )
        limit, after = _page_size(body.get("limit")), body.get("from")
        if after is not None and not isinstance(after, str):
            raise RequestError("from must be the 'next' cursor of the previous page (a string)")
        await self.reader.blueprint(blueprint)
        view = View.of(request, body)
        found, computed = await self.reader.matching(
            _of_blueprint(blueprint, body.get("query")), view
        )
        found = [e for e in found if after is None or str(e["identifier"]) > after]
        page = await self.reader.shown(found[:limit], view, computed=computed)
        answer: dict[str, Any] = {"ok": True, "entities": page}
        if len(found) > limit:
            answer["next"] = str(found[limit - 1]["identifier"])
        return JSON(answer)

    async def create(self, request: Request) -> Response:
        """Create an entity (409 if it exists), or with ``upsert=true`` create or replace
        it (``merge=true``: update only the fields sent)."""
        blueprint = request.path_params["bp"]
        entity: dict[str, Any] = (await json_object(request)) | {"blueprint": blueprint}
        definition = await self.reader.blueprint(blueprint)
        create_only = not flag(request, "upsert")
        if flag(request, "validation_only"):  # refused as the write would be, nothing written
            (verdict,) = await self.gateway.validate(
                self.callers.of(request),
                [entity],  # type: ignore[list-item]
                definition,
                create_only=create_only,
                merge=not create_only and flag(request, "merge"),
                create_missing_related=flag(request, "create_missing_related_entities"),
            )
            return (
                JSON({"ok": True, "entity": entity}) if verdict.ok else failed_write(verdict.error)
            )
        merge = not create_only and flag(request, "merge")
        return await self._write(request, entity, merge=merge, status=201, create_only=create_only)

    async def replace(self, request: Request) -> Response:
        """Replace an existing entity with the body (404 when it does not exist)."""
        return await self._change(request, merge=False)

    async def update(self, request: Request) -> Response:
        """Update the fields the body sends of an existing entity (404 when it does not exist)."""
        return await self._change(request, merge=True)

    async def delete(self, request: Request) -> Response:
        """Delete one entity (``delete_dependents=true``: with those relating to it)."""
        blueprint, identifier = request.path_params["bp"], _identifier(request)
        await self.reader.entity(blueprint, identifier)
        dependents = flag(request, "delete_dependents")
        caller = self.callers.of(request)
        result = await self.gateway.delete(
            caller, [(blueprint, identifier)], delete_dependents=dependents
        )
        blocked = result.blocked.get((blueprint, identifier))
        if blocked:
            names = ", ".join(f"{bp}/{ident}" for bp, ident in blocked[:5])
            raise ConflictError(
                f"entity {identifier!r} of blueprint {blueprint!r} has dependents ({names}): "
                "send delete_dependents=true to delete them too, or remove their relations first"
            )
        return JSON({"ok": True})

    async def _change(self, request: Request, *, merge: bool) -> Response:
        blueprint, identifier = request.path_params["bp"], _identifier(request)
        entity: dict[str, Any] = await json_object(request)
        sent = entity.get("identifier", identifier)
        if sent != identifier:
            raise RequestError(
                f"the body's identifier {sent!r} is not the path's {identifier!r}: "
                "leave it out, or send the same"
            )
        await self.reader.entity(blueprint, identifier)
        entity |= {"identifier": identifier, "blueprint": blueprint}
        # (deleted meanwhile: the write finds it gone and fails, rather than making it again)
        return await self._write(request, entity, merge=merge, status=200, update_only=True)

    async def _write(
        self,
        request: Request,
        entity: dict[str, Any],
        *,
        merge: bool,
        status: int,
        create_only: bool = False,
        update_only: bool = False,
    ) -> Response:
        (outcome,) = await self.gateway.upsert(
            self.callers.of(request),
            [entity],  # type: ignore[list-item]
            create_only=create_only,
            update_only=update_only,
            merge=merge,
            create_missing_related=flag(request, "create_missing_related_entities"),
        )
        if not outcome.ok:
            return failed_write(outcome.error)
        stored = await self.reader.store.get_entities(outcome.blueprint, [str(outcome.identifier)])
        written: Entity | None = stored.get(str(outcome.identifier))
        shown = await self.reader.shown([written], View()) if written else [entity]
        return JSON({"ok": True, "entity": shown[0]}, status_code=status)


def _identifier(request: Request) -> str:
    """The entity identifier of the path, percent-decoded from the raw path (``%2F`` is
    ``/``). A ``+`` is itself: identifiers hold no spaces, so ``quote_plus`` (port-ocean's
    DELETE), which escapes ``+``, and RFC 3986 escaping, which need not, both come back."""
    raw = request.scope.get("raw_path")
    if isinstance(raw, bytes):
        parts = raw.decode("latin-1").split("?", 1)[0].split("/", 5)
        if len(parts) == 6 and parts[4] == "entities":
            return urllib.parse.unquote(parts[5])
    return str(request.path_params["id"])


def _of_blueprint(blueprint: str, query: Any) -> dict[str, Any]:
    rules: list[Any] = [{"property": "$blueprint", "operator": "=", "value": blueprint}]
    if query is not None:
        if not isinstance(query, dict):
            raise RequestError("query must be a search query object ({combinator, rules})")
        rules.append(query)
    return {"combinator": "and", "rules": rules}


def _page_size(value: Any) -> int:
    if value is None:
        return _PAGE
    if isinstance(value, bool) or not isinstance(value, int | float) or not 1 <= value <= _MOST:
        raise RequestError(f"limit must be a number from 1 to {_MOST}, got {str(value)[:40]!r}")
    return int(value)
