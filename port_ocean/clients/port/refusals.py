"""What the original's client raises when the catalog refuses a call: an
``httpx.HTTPStatusError`` holding Port's error body (``{ok: false, error, message}``),
the status the catalog server answers the same refusal with."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from ocean.store.base import WriteOutcome

if TYPE_CHECKING:  # httpx is imported on use, as the server's responses are
    import httpx

_log = logging.getLogger(__name__)
_CATALOG = "ocean://catalog"
"""Where the request of a refusal went: the catalog the run writes to."""


def refusal(status: int, code: str, message: str, method: str, path: str) -> httpx.HTTPStatusError:
    """A ``method path`` call answered ``status`` with Port's error body."""
    import httpx

    request = httpx.Request(method, f"{_CATALOG}{path}")
    body = {"ok": False, "error": code, "message": message}
    response = httpx.Response(status, json=body, request=request)
    return httpx.HTTPStatusError(
        f"Request failed with status code: {status}, Error: {message}",
        request=request,
        response=response,
    )


def write_refusal(outcome: WriteOutcome) -> httpx.HTTPStatusError:
    """A refused entity write, with the catalog server's status for its reason (404
    ``not_found``, 403, 409, else 422 ``invalid_entity``)."""
    from ocean.server.responses import write_code, write_status

    path = f"/v1/blueprints/{outcome.blueprint}/entities"
    return refusal(
        write_status(outcome.error), write_code(outcome.error), outcome.error or "", "POST", path
    )


async def answered(call: Any, default: Any, should_raise: bool, should_log: bool) -> Any:
    """What ``call`` returns; when it fails, the error raised (``should_raise``) or
    ``default`` (logged with ``should_log``), as the original's client answers a call Port
    refused."""
    try:
        return await call
    except Exception as error:
        if should_log:
            _log.error("a catalog call failed: %s", error)
        if should_raise:
            raise
        return default
