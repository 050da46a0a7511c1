"""JSON responses of the catalog server: results (``{"ok": true, ...}``) and errors
(``{"ok": false, "error": code, "message": text}``), and Port's query-string flags."""

from __future__ import annotations

from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import JSONResponse

from ocean.errors import RequestError
from ocean.store.writes import dumps


class JSON(JSONResponse):
    """A JSON response written by orjson: a bulk write's outcomes, an ownership scan or a
    resync's page records run to tens of thousands of items (the standard library's
    encoder took a tenth of a 50k first sync's time in the server)."""

    def render(self, content: Any) -> bytes:
        try:
            return orjson.dumps(content)
        except TypeError:  # an integer past 64 bits, kept exact
            return dumps(content).encode()


def error(status: int, code: str, message: str) -> JSONResponse:
    """Port's error body."""
    return JSON({"ok": False, "error": code, "message": message}, status_code=status)


UNSTORABLE = ("CharacterNotInRepertoireError", "UntranslatableCharacterError")
"""PostgreSQL's refusals of a text value holding NUL (by name: asyncpg is an extra)."""
UNSTORABLE_MESSAGE = (
    "a value in the path, query or body holds a character the catalog cannot "
    "store (NUL, \\u0000): remove it"
)

UNAVAILABLE_RETRY_AFTER = 5
"""The seconds a 503 (the catalog's database cannot be reached) asks the client to wait."""


def unavailable(cause: Exception) -> JSONResponse:
    """503 ``catalog_unavailable`` with ``Retry-After``: the catalog's database cannot be
    reached (:class:`~ocean.errors.CatalogUnavailableError`), no request is at fault,
    and Port's clients (Ocean's, port-ocean's) retry a 503 after that wait."""
    answer = error(503, "catalog_unavailable", str(cause))
    answer.headers["Retry-After"] = str(UNAVAILABLE_RETRY_AFTER)
    return answer


def flag(request: Request, name: str, default: bool = False) -> bool:
    """A boolean query parameter (``true``/``false``, as Port's clients send them)."""
    value = request.query_params.get(name)
    if value is None or value == "":
        return default
    if value.lower() not in ("true", "false"):
        raise RequestError(f"the query parameter {name} must be true or false, got {value!r:.60}")
    return value.lower() == "true"


def listed(request: Request, name: str) -> list[str] | None:
    """An array query parameter, as repeated keys (httpx) or comma-joined (Terraform)."""
    values = [
        part for value in request.query_params.getlist(name) for part in value.split(",") if part
    ]
    return values or None


def failed_write(message: str | None) -> JSONResponse:
    """One entity's failed write: 404 ``not_found`` for a missing relation target (Port's
    unmet dependency, which Ocean retries in order), else 422 ``invalid_entity``."""
    return error(write_status(message), write_code(message), message or "")


def write_status(message: str | None) -> int:
    """404 for a missing relation target, 403 for an entity another integration owns
    (``forbidden: ...``, see ocean.server.access), 409 for one that exists when only
    creating (``conflict: ...``), else 422."""
    return _write_error(message)[0]


def write_code(message: str | None) -> str:
    return _write_error(message)[1]


def _write_error(message: str | None) -> tuple[int, str]:
    for prefix, status in (("not_found", 404), ("forbidden", 403), ("conflict", 409)):
        if (message or "").startswith(prefix):
            return status, prefix
    return 422, "invalid_entity"
