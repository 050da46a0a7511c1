"""The blueprint pages: the list (with entity counts and relations), one blueprint's
schema, and the table of its entities (sorted, paged and filtered in the store)."""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import Response

from ocean.errors import NotFoundError
from ocean.server.ui.core import Ui, Viewer
from ocean.server.ui.filters import OPERATORS, query_of, rows_of
from ocean.store.browse import Browse, BrowsePage
from ocean.store.paging import browse
from ocean.store.search import SearchError

PAGE_SIZES = (25, 50, 100)
MOST_OFFSET = 2**31 - 1
"""The largest offset a page asks for (more is clamped: the stores take 64-bit offsets)."""
META = ("$identifier", "$title", "$createdAt", "$updatedAt")


class BlueprintPages:
    def __init__(self, ui: Ui) -> None:
        self.ui = ui

    async def index(self, request: Request, viewer: Viewer) -> Response:
        """Every blueprint, with its entity count and relations."""
        counts = await self.ui.store.count_entities()
        blueprints = sorted(await self.ui.store.list_blueprints(), key=lambda b: b["identifier"])
        return self.ui.render(
            request, "blueprints.html", viewer=viewer, blueprints=blueprints, counts=counts,
            title="Blueprints",
        )  # fmt: skip

    async def blueprint(self, identifier: str) -> dict[str, Any]:
        for blueprint in await self.ui.store.list_blueprints():
            if blueprint["identifier"] == identifier:
                return blueprint
        raise NotFoundError(f"no blueprint {identifier!r} in the catalog")

    async def schema(self, request: Request, viewer: Viewer) -> Response:
        """One blueprint's schema: properties, required, relations, calculations, mirrors."""
        blueprint = await self.blueprint(request.path_params["bp"])
        counts = await self.ui.store.count_entities()
        pointing = [
            (b["identifier"], name, relation)
            for b in await self.ui.store.list_blueprints()
            for name, relation in (b.get("relations") or {}).items()
            if relation.get("target") == blueprint["identifier"]
        ]
        return self.ui.render(
            request, "blueprint.html", viewer=viewer, bp=blueprint, pointing=pointing,
            count=counts.get(blueprint["identifier"], 0), title=blueprint.get("title") or blueprint["identifier"],
        )  # fmt: skip

    async def table(self, request: Request, viewer: Viewer) -> Response:
        """The blueprint's entities: a page of them, sorted and filtered as the query says."""
        blueprint = await self.blueprint(request.path_params["bp"])
        params = request.query_params
        properties = (blueprint.get("schema") or {}).get("properties") or {}
        rows, combinator = rows_of(params), params.get("c", "and")
        wanted = _wanted(blueprint["identifier"], params, query_of(rows, combinator, properties))
        started, error = time.perf_counter(), None
        try:
            page = await browse(self.ui.store, wanted)
        except SearchError as problem:
            page, error = BrowsePage([], 0, False), str(problem)
        elapsed = (time.perf_counter() - started) * 1000
        return self.ui.render(
            request, "entities.html", status=422 if error else 200, viewer=viewer,
            bp=blueprint, properties=properties, page=page, wanted=wanted, rows=rows,
            combinator=combinator, error=error, operators=OPERATORS, meta=META,
            link=_linker(params), elapsed=elapsed, sizes=PAGE_SIZES,
            title=f"{blueprint.get('title') or blueprint['identifier']}: entities",
        )  # fmt: skip


def _wanted(blueprint: str, params: Any, query: dict[str, Any] | None) -> Browse:
    limit = _integer(params.get("limit"), 50)
    return Browse(
        blueprint,
        query=query,
        text=params.get("q", "").strip(),
        sort=params.get("sort") or "$identifier",
        descending=params.get("desc") == "1",
        offset=min(max(0, _integer(params.get("offset"), 0)), MOST_OFFSET),
        limit=limit if limit in PAGE_SIZES else 50,
    )


def _integer(text: str | None, default: int) -> int:
    try:
        return int(text or default)
    except ValueError:
        return default


def _linker(params: Any) -> Any:
    """``link(**changes)``: this page's query string with some parameters changed."""

    def link(**changes: Any) -> str:
        kept = [(k, v) for k, v in params.multi_items() if k not in changes]
        changed = [(k, str(v)) for k, v in changes.items() if v is not None]
        return "?" + urlencode(kept + changed)

    return link
