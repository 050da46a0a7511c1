"""The OpenAPI description of the catalog server, built from its routes."""

from __future__ import annotations

import inspect
from collections.abc import Sequence
from importlib.metadata import PackageNotFoundError, version
from typing import Any

from starlette.routing import BaseRoute, Route

OPEN = ("/v1/auth/access_token", "/openapi.json")
"""Routes that need no token."""

_ERRORS = {
    "400": "invalid request (the body says which field and why)",
    "401": "missing or expired token",
    "404": "no such blueprint, entity or integration",
    "409": "already exists",
    "413": "body too large",
    "422": "the entity does not match its blueprint",
}


def openapi(routes: Sequence[BaseRoute]) -> dict[str, Any]:
    """OpenAPI 3.1 for ``routes``: each path, method and summary (the endpoint's docstring)."""
    paths: dict[str, dict[str, Any]] = {}
    for route in routes:
        if isinstance(route, Route) and route.methods:
            for method in sorted(route.methods - {"HEAD"}):
                paths.setdefault(route.path, {})[method.lower()] = _operation(route, method)
    return {
        "openapi": "3.1.0",
        "info": {"title": "Ocean catalog: Port API v1", "version": _version()},
        "paths": paths,
        "components": {"securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}},
    }


def _operation(route: Route, method: str) -> dict[str, Any]:
    doc = inspect.getdoc(route.endpoint) or route.name
    operation: dict[str, Any] = {
        "operationId": f"{method.lower()}_{route.name}_{len(route.path)}",
        "summary": doc.splitlines()[0],
        "parameters": [
            {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
            for name in route.param_convertors
        ],
        "responses": {"200": {"description": "ok: true and the result"}}
        | {status: {"description": why} for status, why in _ERRORS.items()},
    }
    if route.path not in OPEN:
        operation["security"] = [{"bearer": []}]
    return operation


def _version() -> str:
    try:
        return version("ocean-sync")
    except PackageNotFoundError:
        return "0"
