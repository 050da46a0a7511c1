"""How the catalog server shows what it reads: blueprints looked up (404 when missing),
entities with their computed (calculation, mirror, aggregation) properties and Port's
``include``/``exclude`` projections, and the request fields that choose them."""

from __future__ import annotations

from typing import Any, cast

from starlette.requests import Request

from ocean.errors import NotFoundError, RequestError
from ocean.server import computed_search
from ocean.server.computed import Computed
from ocean.server.responses import flag, listed
from ocean.store.base import Store
from ocean.store.search import project
from ocean.types import Entity

_META = {"$identifier", "$title", "$team", "$icon", "$blueprint", "$createdAt", "$updatedAt"}


class Reader:
    def __init__(self, store: Store) -> None:
        self.store = store
        self._computed = Computed(store)

    async def blueprints(self) -> dict[str, dict[str, Any]]:
        """Every blueprint by identifier, with Port's defaults for ``schema`` and
        ``relations`` when absent or null (a blueprint always carries both)."""
        return {bp["identifier"]: _defaulted(bp) for bp in await self.store.list_blueprints()}

    async def blueprint(self, identifier: str) -> dict[str, Any]:
        """One blueprint; :class:`NotFoundError` when there is none."""
        found = (await self.blueprints()).get(identifier)
        if found is None:
            raise NotFoundError(
                f"blueprint {identifier!r} does not exist: create it with POST /v1/blueprints "
                "(GET /v1/blueprints lists those that do)"
            )
        return found

    async def entity(self, blueprint: str, identifier: str) -> Entity:
        """One stored entity (its blueprint checked first); :class:`NotFoundError` when
        either is missing."""
        await self.blueprint(blueprint)
        found = (await self.store.get_entities(blueprint, [identifier])).get(identifier)
        if found is None:
            raise NotFoundError(
                f"entity {identifier!r} of blueprint {blueprint!r} does not exist "
                f"(GET /v1/blueprints/{blueprint}/entities lists those that do)"
            )
        return found

    async def names_computed(self, query: dict[str, Any]) -> bool:
        """Whether a rule of a search ``query`` names a computed property (a calculation,
        mirror or aggregation)."""
        if not computed_search.names_properties(query):
            return False  # (no blueprint read: Ocean's own lookups name meta-properties)
        return computed_search.names_computed(query, computed_search.names(await self.blueprints()))

    async def matching(self, query: dict[str, Any], view: View) -> tuple[list[Entity], bool]:
        """The stored entities matching a search ``query`` whose rules may name computed
        properties (matched as shown), and whether they carry those already."""
        if not await self.names_computed(query):
            return cast(list[Entity], await self.store.search(query)), False
        stored, computed = await computed_search.search(
            self.store, self._computed, query, await self.blueprints()
        )
        return (stored, False) if view.exclude_calculated else (computed, True)

    async def shown(
        self,
        entities: list[Entity],
        view: View,
        blueprints: dict[str, dict[str, Any]] | None = None,
        computed: bool = False,
    ) -> list[dict[str, Any]]:
        """Entities as served: computed properties (unless excluded, or ``computed``
        already), then projected."""
        if not view.exclude_calculated and not computed:
            await self._computed.apply(entities, blueprints or await self.blueprints())
        if view.include is None and view.exclude is None:
            return [dict(entity) for entity in entities]
        return [project(entity, view.include, view.exclude) for entity in entities]


class View:
    """What a read shows: ``include`` / ``exclude`` dot-paths (meta-properties as
    ``$identifier`` too) and whether computed properties are left out."""

    def __init__(
        self,
        include: list[str] | None = None,
        exclude: list[str] | None = None,
        exclude_calculated: bool = False,
    ) -> None:
        self.include = _paths(include)
        self.exclude = _paths(exclude)
        self.exclude_calculated = exclude_calculated

    @classmethod
    def of(cls, request: Request, body: dict[str, Any] | None = None) -> View:
        """The query string's view, with ``include`` / ``exclude`` from ``body`` added."""
        body = body or {}
        include = _joined(listed(request, "include"), strings(body, "include"))
        exclude = _joined(listed(request, "exclude"), strings(body, "exclude"))
        return cls(include, exclude, flag(request, "exclude_calculated_properties"))


def strings(body: dict[str, Any], field: str) -> list[str] | None:
    """A body field holding a list of strings (None when absent or null)."""
    value = body.get(field)
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise RequestError(
            f'{field} must be a list of strings (dot-paths such as "properties.url" or '
            f'"$identifier"), got {str(value)[:60]!r}'
        )
    return value


def _joined(first: list[str] | None, second: list[str] | None) -> list[str] | None:
    if first is None and second is None:
        return None
    return [*(first or []), *(second or [])]


def _paths(paths: list[str] | None) -> list[str] | None:
    if paths is None:
        return None
    return [path[1:] if path in _META else path for path in paths]


def _defaulted(blueprint: dict[str, Any]) -> dict[str, Any]:
    defaults: dict[str, Any] = {"relations": {}, "schema": {"properties": {}}}
    return blueprint | {key: value for key, value in defaults.items() if blueprint.get(key) is None}
