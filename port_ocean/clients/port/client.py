"""``ocean.port_client``: the reads integrations make of the catalog, over Ocean's store."""

from __future__ import annotations

from typing import Any

from ocean.store.base import Store
from port_ocean._unsupported import missing
from port_ocean.clients.port.runs import RunCalls


class PortClient(RunCalls):
    """The part of the original's ``PortClient`` integrations use to read the catalog, and
    to report on action runs (:class:`~port_ocean.clients.port.runs.RunCalls`)."""

    def __init__(self, store: Store) -> None:
        self._store = store

    async def search_entities(
        self,
        user_agent_type: Any = None,
        query: dict[str, Any] | None = None,
        parameters_to_include: list[str] | None = None,
    ) -> list[dict[str, Any]]:
        """Entities matching a Port search query (every entity without one)."""
        query = query or {"combinator": "and", "rules": []}
        return await self._store.search(query, include=parameters_to_include)

    async def get_blueprint(self, identifier: str, should_log: bool = True) -> dict[str, Any]:
        for blueprint in await self._store.list_blueprints():
            if blueprint["identifier"] == identifier:
                return blueprint
        raise KeyError(f"blueprint {identifier!r} does not exist in the catalog")


__getattr__ = missing(__name__)
