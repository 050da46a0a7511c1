"""The action and action-run routes of Port's API on Ocean's catalog server: action
definitions (``/v1/actions``), triggering a run (``POST /v1/actions/{id}/runs``), the
execution protocol the original's execution manager speaks (claim-pending, ack, PATCH a run,
its logs) and reading runs and logs. Leases are Ocean's extension (see
:mod:`ocean.actions.catalog`): Ocean's runner names one with its acknowledgement
(``leaseSeconds`` beside ``runId``) and renews it with ``POST
/v1/ocean/actions/runs/{id}/lease``; an acknowledgement without one (the original's runner,
which never renews) takes none. An integration credential claims, acknowledges, updates,
logs and leases only the runs of its own integration (``payload.installationId``)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from ocean.actions.catalog import ActionsCatalog
from ocean.actions.open import actions_of
from ocean.errors import ActionError
from ocean.server.principal import principal_of, require_integration
from ocean.store.base import Store

Handler = Callable[[Request], Awaitable[Response]]
_CODES = {404: "not_found", 409: "conflict", 422: "invalid_request"}


def _ok(**values: Any) -> Response:
    return JSONResponse({"ok": True, **values})


def _answered(handler: Handler) -> Handler:
    """``handler`` with an :class:`ActionError` answered as Port answers errors."""

    async def answer(request: Request) -> Response:
        try:
            return await handler(request)
        except ActionError as error:
            code = _CODES.get(error.status, "invalid_request")
            body = {"ok": False, "error": code, "message": str(error)}
            return JSONResponse(body, status_code=error.status)

    answer.__doc__ = handler.__doc__
    return answer


async def _body(request: Request) -> dict[str, Any]:
    try:
        body = await request.json()
    except ValueError:
        raise ActionError("the body must be a JSON object") from None
    if not isinstance(body, dict):
        raise ActionError("the body must be a JSON object")
    return body


def _text(body: dict[str, Any], name: str) -> str:
    value = body.get(name)
    if not isinstance(value, str) or not value:
        raise ActionError(f"{name!r} must be a non-empty string")
    return value


class ActionRoutes:
    """The routes over one store's actions."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self._catalog: ActionsCatalog | None = None

    @property
    def catalog(self) -> ActionsCatalog:
        if self._catalog is None:
            self._catalog = actions_of(self._store)
        return self._catalog

    def routes(self) -> list[Route]:
        """Literal paths before parameterised ones (``/v1/actions/runs`` is no action)."""
        table: list[tuple[str, Handler, str]] = [
            ("/v1/actions/runs", self.list_runs, "GET"),
            ("/v1/actions/runs/claim-pending", self.claim, "POST"),
            ("/v1/actions/runs/ack", self.ack, "PATCH"),
            ("/v1/actions/runs/{run}", self.get_run, "GET"),
            ("/v1/actions/runs/{run}", self.patch_run, "PATCH"),
            ("/v1/actions/runs/{run}/logs", self.logs, "GET"),
            ("/v1/actions/runs/{run}/logs", self.add_log, "POST"),
            ("/v1/ocean/actions/runs/{run}/lease", self.lease, "POST"),
            ("/v1/actions", self.list_actions, "GET"),
            ("/v1/actions", self.create_action, "POST"),
            ("/v1/actions/{action}", self.get_action, "GET"),
            ("/v1/actions/{action}", self.replace_action, "PUT"),
            ("/v1/actions/{action}", self.delete_action, "DELETE"),
            ("/v1/actions/{action}/runs", self.trigger, "POST"),
        ]
        return [Route(path, _answered(h), methods=[method]) for path, h, method in table]

    async def list_actions(self, request: Request) -> Response:
        """Action definitions (``action_identifier`` may name some)."""
        wanted = set(request.query_params.getlist("action_identifier"))
        actions = await self.catalog.list_actions()
        return _ok(actions=[a for a in actions if not wanted or a["identifier"] in wanted])

    async def create_action(self, request: Request) -> Response:
        """Create an action definition (409 when it exists)."""
        stored = await self.catalog.save_action(await _body(request), replace=False)
        return _ok(action=stored)

    async def get_action(self, request: Request) -> Response:
        """One action definition."""
        identifier = request.path_params["action"]
        found = await self.catalog.get_action(identifier)
        if found is None:
            raise ActionError(f"action {identifier!r} does not exist", 404)
        return _ok(action=found)

    async def replace_action(self, request: Request) -> Response:
        """Create or replace an action definition."""
        body = await _body(request)
        body["identifier"] = request.path_params["action"]
        return _ok(action=await self.catalog.save_action(body, replace=True))

    async def delete_action(self, request: Request) -> Response:
        """Delete an action definition (its runs are kept)."""
        identifier = request.path_params["action"]
        if not await self.catalog.delete_action(identifier):
            raise ActionError(f"action {identifier!r} does not exist", 404)
        return _ok()

    async def trigger(self, request: Request) -> Response:
        """Run an action: ``{properties, entity?}`` (Ocean also reads ``blueprint``)."""
        body = await _body(request)
        inputs = body.get("properties") or {}
        if not isinstance(inputs, dict):
            raise ActionError("'properties' must be a JSON object of the action's inputs")
        entity, blueprint = body.get("entity"), body.get("blueprint")
        run = await self.catalog.trigger(
            request.path_params["action"],
            inputs,
            None if entity is None else str(entity),
            None if blueprint is None else str(blueprint),
        )
        return JSONResponse({"ok": True, "run": run}, status_code=202)

    async def list_runs(self, request: Request) -> Response:
        """Runs, newest first (``action``, ``external_run_id``, ``active``, ``limit``)."""
        query = request.query_params
        active = query.get("active")
        runs = await self.catalog.list_runs(
            action=query.get("action"),
            external_run_id=query.get("external_run_id"),
            active=None if active is None else active == "true",
            limit=_limit(query.get("limit")),
        )
        return _ok(runs=runs)

    async def _own_run(self, request: Request, run_id: str) -> None:
        """:class:`ForbiddenError` unless the caller may work the run (an admin any, an
        integration those of its own integration)."""
        principal = principal_of(request)
        if principal.admin:
            return
        found = await self.catalog.get_run(run_id)
        if found is None:
            raise ActionError(f"action run {run_id!r} does not exist", 404)
        installation = str((found.get("payload") or {}).get("installationId"))
        require_integration(principal, installation, f"work on run {run_id} of")

    async def claim(self, request: Request) -> Response:
        """Claim pending runs of an installation for a visibility timeout."""
        body = await _body(request)
        exclude = body.get("exclude") or []
        installation = _text(body, "installationId")
        require_integration(principal_of(request), installation, "claim the action runs of")
        runs = await self.catalog.claim_runs(
            installation,
            _limit(body.get("limit")),
            _number(body.get("visibilityTimeoutMs", 60_000)) / 1000,
            [str(x) for x in exclude] if isinstance(exclude, list) else [],
        )
        return _ok(runs=runs)

    async def ack(self, request: Request) -> Response:
        """Acknowledge a claimed run: it is the caller's (409 when taken already). Ocean's
        runner also names ``leaseSeconds``: the run holds a lease it renews (else none)."""
        body = await _body(request)
        run_id, lease = _text(body, "runId"), body.get("leaseSeconds")
        await self._own_run(request, run_id)
        await self.catalog.ack_run(run_id, None if lease is None else _number(lease))
        return _ok()

    async def get_run(self, request: Request) -> Response:
        """One run."""
        run_id = request.path_params["run"]
        found = await self.catalog.get_run(run_id)
        if found is None:
            raise ActionError(f"action run {run_id!r} does not exist", 404)
        return _ok(run=found)

    async def patch_run(self, request: Request) -> Response:
        """Update a run: status, statusLabel, link, summary, externalRunId (which drops the
        run's lease: it waits for that external run)."""
        run_id = request.path_params["run"]
        body = await _body(request)
        await self._own_run(request, run_id)
        return _ok(run=await self.catalog.patch_run(run_id, body))

    async def logs(self, request: Request) -> Response:
        """A run's log lines, oldest first."""
        run_id = request.path_params["run"]
        if await self.catalog.get_run(run_id) is None:
            raise ActionError(f"action run {run_id!r} does not exist", 404)
        return _ok(runLogs=await self.catalog.run_logs(run_id))

    async def add_log(self, request: Request) -> Response:
        """Add a log line (``terminationStatus`` also ends the run, as in Port)."""
        body, run_id = await _body(request), request.path_params["run"]
        level, message = str(body.get("level") or "INFO"), _text(body, "message")
        await self._own_run(request, run_id)
        await self.catalog.add_log(run_id, message, level)
        change = {"status": body.get("terminationStatus"), "statusLabel": body.get("statusLabel")}
        change = {k: v for k, v in change.items() if v is not None}
        if change:
            await self.catalog.patch_run(run_id, change)
        return _ok()

    async def lease(self, request: Request) -> Response:
        """Ocean's extension: renew (or, with 0, drop) the lease an acknowledged run holds
        (one that holds none is left without)."""
        seconds, run_id = _number((await _body(request)).get("seconds")), request.path_params["run"]
        await self._own_run(request, run_id)
        await self.catalog.lease_run(run_id, seconds)
        return _ok()


def _number(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise ActionError(f"expected a number of zero or more, not {value!r}")
    return float(value)


def _limit(value: Any) -> int:
    if value is None:
        return 100
    try:
        limit = int(value)
    except (TypeError, ValueError):
        raise ActionError(f"limit must be a whole number, not {value!r}") from None
    if not 1 <= limit <= 1000:
        raise ActionError(f"limit must be between 1 and 1000, not {limit}")
    return limit
