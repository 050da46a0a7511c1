"""The entity page: its properties, relations both ways with a small graph, its
datasources (which integration owns it) and its history from the audit log."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from ocean.errors import NotFoundError
from ocean.server.ui.core import Ui, Viewer
from ocean.server.ui.graph import Edge, neighbourhood, pointing, targets
from ocean.store.audit import AuditFilter, KeepsAudit
from ocean.store.ownership import KnowsDatasources, integration_of

_INCOMING = 200
"""The most entities relating to one its page lists."""


def _first(edges: list[Edge]) -> tuple[list[Edge], bool]:
    """The edges of the first :data:`_INCOMING` entities, and whether there are more."""
    sources = list(dict.fromkeys(edge.source for edge in edges))
    kept = set(sources[:_INCOMING])
    return [edge for edge in edges if edge.source in kept], len(sources) > _INCOMING


class EntityPages:
    def __init__(self, ui: Ui) -> None:
        self.ui = ui

    async def page(self, request: Request, viewer: Viewer) -> Response:
        store = self.ui.store
        blueprint_id, identifier = request.path_params["bp"], request.path_params["id"]
        blueprints = {b["identifier"]: b for b in await store.list_blueprints()}
        entity = (await store.get_entities(blueprint_id, [identifier])).get(identifier)
        if blueprint_id not in blueprints or entity is None:
            raise NotFoundError(f"no entity {identifier!r} of blueprint {blueprint_id!r}")
        key = (blueprint_id, identifier)
        outgoing = targets(entity, blueprints[blueprint_id])
        incoming, more = _first(await pointing(store, key, _INCOMING + 1, blueprints))
        graph = await neighbourhood(store, key, outgoing + incoming, blueprints)
        datasources: list[str] = []
        if isinstance(store, KnowsDatasources):
            datasources = (await store.datasources_of([key])).get(key, [])
        history = []
        if isinstance(store, KeepsAudit):
            wanted = AuditFilter(entity=identifier, blueprint=blueprint_id, limit=50)
            history = await store.audit_log(wanted)
        owners = [(d, integration_of(d)) for d in datasources]
        schema = (blueprints[blueprint_id].get("schema") or {}).get("properties") or {}
        return self.ui.render(
            request, "entity.html", viewer=viewer, entity=entity, bp=blueprints[blueprint_id],
            schema=schema, outgoing=outgoing, incoming=incoming, more_incoming=more, graph=graph,
            owners=owners,
            history=history, title=entity.get("title") or identifier,
        )  # fmt: skip
