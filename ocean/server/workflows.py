"""The workflow node-run routes of Port's API on Ocean's catalog server, which runs no
workflows: the original's execution manager claims workflow node runs beside action runs
every poll (``POST /v1/workflows/runs/claim-pending``, answering ``nodeRuns``), and its
``find_run_by_external_id`` looks node runs up (``GET /v1/workflows/nodes/runs``) when no
action run has the id. Both answer none, so the original runs its action runs against this
server without an error logged each poll; a call on one node run (acknowledge, PATCH, logs)
answers 404, as there is none. Ocean's own runner does not ask (see
:mod:`ocean.store.port.actions`)."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from ocean.errors import RequestError
from ocean.server.bodies import SMALL_BODY, json_object
from ocean.server.principal import principal_of, require_integration

NO_WORKFLOWS = (
    "this catalog runs no workflows, so it has no workflow node run {run!r}: only Port "
    "hands out workflow node runs"
)


def _ok(**values: Any) -> Response:
    return JSONResponse({"ok": True, **values})


def _missing(run: str) -> Response:
    body = {"ok": False, "error": "not_found", "message": NO_WORKFLOWS.format(run=run)}
    return JSONResponse(body, status_code=404)


async def claim(request: Request) -> Response:
    """Claim pending workflow node runs of an installation: none, as this catalog runs no
    workflows (an integration credential may still claim for its own integration only)."""
    body = await json_object(request, SMALL_BODY)
    installation = body.get("installationId")
    if not isinstance(installation, str) or not installation:
        raise RequestError("'installationId' must be a non-empty string")
    require_integration(principal_of(request), installation, "claim the workflow node runs of")
    return _ok(nodeRuns=[])


async def lookup(request: Request) -> Response:
    """Workflow node runs by ``external_run_id``: none (this catalog runs no workflows)."""
    return _ok(nodeRuns=[])


async def ack(request: Request) -> Response:
    """Acknowledge a workflow node run: 404, as this catalog has none."""
    body = await json_object(request, SMALL_BODY)
    return _missing(str(body.get("nodeRunIdentifier")))


async def one_run(request: Request) -> Response:
    """Update a workflow node run, or add to its logs: 404, as this catalog has none."""
    return _missing(request.path_params["run"])


def workflow_routes() -> list[Route]:
    """The routes, literal paths before parameterised ones."""
    return [
        Route("/v1/workflows/runs/claim-pending", claim, methods=["POST"]),
        Route("/v1/workflows/runs/ack", ack, methods=["PATCH"]),
        Route("/v1/workflows/nodes/runs", lookup, methods=["GET"]),
        Route("/v1/workflows/nodes/runs/{run}", one_run, methods=["PATCH"]),
        Route("/v1/workflows/nodes/runs/{run}/logs", one_run, methods=["POST"]),
    ]
