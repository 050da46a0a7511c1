"""Incremental-sync cursors over Port's integration cursor routes, as the original keeps
them: one document per integration, kind and index, ``{"primary": ISO time}``."""

from __future__ import annotations

from typing import Any

from ocean.store.port.http import PortAPIError, PortHTTP


def _where(integration: str, kind: str, index: int) -> tuple[str, dict[str, Any]]:
    return f"/integration/{integration}/cursor", {"kind": kind, "index": index}


async def get(http: PortHTTP, integration: str, kind: str, index: int) -> str | None:
    """The stored cursor, or None when Port has none yet."""
    path, params = _where(integration, kind, index)
    try:
        reply = await http.call("GET", path, params=params, idempotent=True)
    except PortAPIError as error:
        if error.status == 404:
            return None
        raise
    primary = (reply.body.get("cursor") or {}).get("primary")
    return str(primary) if primary else None


async def save(http: PortHTTP, integration: str, kind: str, index: int, value: str) -> None:
    """PUT the cursor, or POST it when Port has none yet (as the original does)."""
    path, params = _where(integration, kind, index)
    body = {"primary": value}
    try:
        await http.call("PUT", path, params=params, json=body, idempotent=True)
    except PortAPIError as error:
        if error.status != 404:
            raise
        await http.call("POST", path, params=params, json=body, idempotent=True)
