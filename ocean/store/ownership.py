"""Who owns stored entities: the datasources (writers' User-Agents) recorded on them, so
that the catalog server can refuse an integration's write to what another owns."""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from ocean.types import EntityKey


@runtime_checkable
class KnowsDatasources(Protocol):
    """A catalog that answers which datasources wrote some entities (SQLite, PostgreSQL)."""

    async def datasources_of(self, keys: list[EntityKey]) -> dict[EntityKey, list[str]]:
        """The datasources of those of ``keys`` that exist, sorted (an empty list: no
        recorded writer); the keys that do not exist are left out, and placeholders (made
        for a missing relation target, holding no one's data: anyone may write one, and
        the write takes it from its maker)."""
        ...


def integration_of(datasource: str) -> str | None:
    """The integration identifier in ``port-ocean/{type}/{version}/{identifier}/{exporter}``."""
    parts = datasource.split("/")
    return parts[3] if len(parts) >= 5 and parts[0] == "port-ocean" else None
