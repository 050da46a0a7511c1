"""Searches of the Port API (``POST /v1/entities/search``)."""

from __future__ import annotations

from typing import Any

from ocean.store.port.http import PortHTTP


async def search(
    http: PortHTTP,
    query: dict[str, Any],
    *,
    include: list[str] | None = None,
    exclude: list[str] | None = None,
    user_agent: str | None = None,
) -> list[dict[str, Any]]:
    """The entities matching ``query``, calculated properties left out."""
    params: list[tuple[str, str]] = [("exclude_calculated_properties", "true")]
    params += [("include", path) for path in include or []]
    params += [("exclude", path) for path in exclude or []]
    reply = await http.call(
        "POST", "/entities/search", json=query, params=params, idempotent=True,
        user_agent=user_agent,
    )  # fmt: skip
    return list(reply.body.get("entities", []))
