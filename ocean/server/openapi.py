"""The OpenAPI description of the catalog server, built from its routes: each path,
method and summary (the endpoint's docstring), with the request and response schemas of
:mod:`ocean.server.operations` and the shared error body for every error status."""

from __future__ import annotations

import inspect
import re
from collections.abc import Sequence
from importlib.metadata import PackageNotFoundError, version
from typing import Any

from starlette.routing import BaseRoute, Route

from ocean.server.operations import OPERATIONS, Operation
from ocean.server.schemas import COMPONENTS, ok, ref

OPEN = ("/v1/auth/access_token", "/openapi.json", "/docs")
"""Routes that need no token."""

_ERRORS = {
    "401": "missing or expired token",
    "403": "the credential may not do this (its role, or an entity another integration owns)",
    "404": "no such blueprint, entity, integration or route",
    "409": "conflicts with what the catalog holds (exists already, still has entities)",
    "405": "the path takes other methods (a path such as /v1/integration/./cursor is read as another)",
    "413": "body too large",
    "429": "too many failed token requests: wait the Retry-After seconds",
    "422": "the body or a parameter is malformed, or the entity does not match its blueprint",
    "503": "the catalog's database cannot be reached: retry after the Retry-After seconds",
}
_CONVERTER = re.compile(r"{(\w+):\w+}")


def openapi(routes: Sequence[BaseRoute]) -> dict[str, Any]:
    """OpenAPI 3.1 for ``routes``."""
    paths: dict[str, dict[str, Any]] = {}
    for route in routes:
        if isinstance(route, Route) and route.methods:
            path = _CONVERTER.sub(r"{\1}", route.path)
            for method in sorted(route.methods - {"HEAD"}):
                paths.setdefault(path, {})[method.lower()] = _operation(route, path, method)
    return {
        "openapi": "3.1.0",
        "info": {"title": "Ocean catalog: Port API v1", "version": _version()},
        "paths": paths,
        "components": {
            "schemas": COMPONENTS,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
    }


def _operation(route: Route, path: str, method: str) -> dict[str, Any]:
    doc = inspect.getdoc(route.endpoint) or route.name
    spec = OPERATIONS.get((method.lower(), path), Operation(ok()))
    parameters = [
        {"name": name, "in": "path", "required": True, "schema": {"type": "string", "minLength": 1}}
        for name in route.param_convertors
    ] + [
        {"name": name, "in": "query", "required": False, "schema": schema}
        for name, schema in spec.query.items()
    ]
    operation: dict[str, Any] = {
        "operationId": f"{method.lower()}_{route.name}_{len(route.path)}",
        "summary": doc.splitlines()[0],
        "description": doc,
        "tags": [_tag(path)],
        "parameters": parameters,
        "responses": {s: _json("success", spec.answer) for s in (spec.status, *spec.also)}
        | {status: _json(why, ref("Error")) for status, why in _ERRORS.items()},
    }
    if spec.body is not None:
        operation["requestBody"] = {
            "required": False,
            "content": {"application/json": {"schema": spec.body}},
        }
    if path not in OPEN:
        operation["security"] = [{"bearer": []}]
    if path == "/docs":
        operation["responses"] = {"200": {"description": "the documentation page (HTML)"}}
    return operation


def _json(description: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _tag(path: str) -> str:
    if "entities" in path or "audit" in path:
        return "audit" if "audit" in path else "entities"
    parts = [part for part in path.split("/") if part and part != "v1"]
    return parts[0] if parts else "meta"


def _version() -> str:
    try:
        return version("ocean-sync")
    except PackageNotFoundError:
        return "0"
