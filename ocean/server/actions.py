"""The action and action-run routes of Port's API on Ocean's catalog server: action
definitions (``/v1/actions``), triggering a run (``POST /v1/actions/{id}/runs``), the
execution protocol the original's execution manager speaks (claim-pending, ack, PATCH a run,
its logs) and reading runs and logs. Leases are Ocean's extension (see
:mod:`ocean.actions.catalog`): Ocean's runner names one with its acknowledgement
(``leaseSeconds`` beside ``runId``) and renews it with ``POST
/v1/ocean/actions/runs/{id}/lease``; an acknowledgement without one (the original's runner,
which never renews) takes none. An integration credential claims, acknowledges, updates,
logs and leases only the runs of its own integration (``payload.installationId``), and
reads (lists, gets, reads the logs of) only those too.

Inputs an action declares secret (``"encryption": "aes256-gcm"`` on an input of its
``trigger.userInputs``, as Port's) are the executing integration's alone: its credential
reads runs whole, and its claims (``claim-pending``) carry them, as Ocean's runner and the
original's need. Every other caller (admins and read-only credentials included) reads them
as ``"[encrypted]"``, with each execution property that renders or holds one, and their
values in the run's summary, status label, links and log lines (see :func:`_redacted`).
Bodies are read within :data:`~ocean.server.bodies.SMALL_BODY` (larger: 413)."""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from ocean.actions.catalog import ActionsCatalog
from ocean.actions.open import actions_of
from ocean.errors import ActionError
from ocean.server.bodies import SMALL_BODY, json_object
from ocean.server.principal import Principal, principal_of, require_integration
from ocean.store.base import Store
from ocean.store.credentials import INTEGRATION

Handler = Callable[[Request], Awaitable[Response]]
_CODES = {404: "not_found", 409: "conflict", 422: "invalid_request"}
ENCRYPTED = "[encrypted]"
"""What a caller other than the executing integration reads for a secret input."""


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
    """The body as a JSON object, read within the cap (over it: 413, never read whole)."""
    return await json_object(request, SMALL_BODY)


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
        shown = await self._shown(principal_of(request), [run])
        return JSONResponse({"ok": True, "run": shown[0]}, status_code=202)

    async def list_runs(self, request: Request) -> Response:
        """Runs, newest first (``action``, ``external_run_id``, ``active``, ``limit``); an
        integration credential lists those of its own integration only (the runs of the
        actions its integration runs)."""
        query, principal = request.query_params, principal_of(request)
        active, limit = query.get("active"), _limit(query.get("limit"))
        named = query.get("action")
        wanted: list[str | None] = [named]
        if principal.role == INTEGRATION:
            wanted = [
                action["identifier"]
                for action in await self.catalog.list_actions()
                if _installation(action.get("invocationMethod")) == principal.integration
                and named in (None, action["identifier"])
            ]
        runs = []
        for action in wanted:
            runs += await self.catalog.list_runs(
                action=action,
                external_run_id=query.get("external_run_id"),
                active=None if active is None else active == "true",
                limit=limit,
            )
        if principal.role == INTEGRATION:
            runs = [r for r in runs if _installation(r.get("payload")) == principal.integration]
            runs.sort(key=lambda run: str(run.get("createdAt", "")), reverse=True)
        return _ok(runs=await self._shown(principal, runs[:limit]))

    async def _run_of(self, request: Request, run_id: str, doing: str) -> dict[str, Any]:
        """The run, if the caller may ``doing`` it (404 when it does not exist;
        :class:`ForbiddenError` when it is another integration's and the caller an
        integration credential)."""
        found = await self.catalog.get_run(run_id)
        if found is None:
            raise ActionError(f"action run {run_id!r} does not exist", 404)
        installation = _installation(found.get("payload"))
        require_integration(principal_of(request), installation, f"{doing} run {run_id} of")
        return found

    async def _own_run(self, request: Request, run_id: str) -> None:
        """:class:`ForbiddenError` unless the caller may work the run (an admin any, an
        integration those of its own integration)."""
        if not principal_of(request).admin:
            await self._run_of(request, run_id, "work on")

    async def _shown(
        self, principal: Principal, runs: list[dict[str, Any]]
    ) -> list[dict[str, Any]]:
        """``runs`` as ``principal`` may read them: whole for the integration that executes
        each, its secret inputs redacted for everyone else."""
        definitions: dict[str, dict[str, Any] | None] = {}
        shown = []
        for run in runs:
            if _executes(principal, run):
                shown.append(run)
                continue
            action = str((run.get("action") or {}).get("identifier"))
            if action not in definitions:
                definitions[action] = await self.catalog.get_action(action)
            shown.append(_redacted(run, definitions[action]))
        return shown

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
        """One run (an integration credential: of its own integration)."""
        found = await self._run_of(request, request.path_params["run"], "read")
        return _ok(run=(await self._shown(principal_of(request), [found]))[0])

    async def patch_run(self, request: Request) -> Response:
        """Update a run: status, statusLabel, link, summary, externalRunId (which drops the
        run's lease: it waits for that external run)."""
        run_id = request.path_params["run"]
        body = await _body(request)
        await self._own_run(request, run_id)
        patched = await self.catalog.patch_run(run_id, body)
        return _ok(run=(await self._shown(principal_of(request), [patched]))[0])

    async def logs(self, request: Request) -> Response:
        """A run's log lines, oldest first (an integration credential: of its own
        integration's runs; secret inputs redacted from them for all but the executor)."""
        run_id, principal = request.path_params["run"], principal_of(request)
        found = await self._run_of(request, run_id, "read the logs of")
        lines = await self.catalog.run_logs(run_id)
        if _executes(principal, found):
            return _ok(runLogs=lines)
        action = str((found.get("action") or {}).get("identifier"))
        texts = _secret_texts(found, await self.catalog.get_action(action))
        return _ok(runLogs=[_scrubbed(line, "message", texts) for line in lines])

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


# Who reads a run's secret inputs: the integration that executes it; everyone else reads
# "[encrypted]" in their place (Port encrypts them for that integration alone).

_TEMPLATE = re.compile(r"{{(.*?)}}", re.DOTALL)
_INPUT = re.compile(r'\binputs\b(?:\s*\.\s*"?([A-Za-z_]\w*)"?|\s*\[\s*"([^"]*)"\s*\])?')
"""A use of ``inputs`` in a template: one input by name (``.inputs.x``, ``.inputs["x"]``),
or the whole of them (anything else: ``.inputs``, ``.inputs | ...``, ``.inputs[$k]``)."""


def _installation(holder: Any) -> str:
    """The ``installationId`` of a run's payload or an action's invocationMethod ("": none)."""
    found = holder.get("installationId") if isinstance(holder, dict) else None
    return "" if found is None else str(found)


def _executes(principal: Principal, run: dict[str, Any]) -> bool:
    """Whether ``principal`` is a credential of the integration that executes ``run``."""
    return (
        principal.role == INTEGRATION
        and bool(principal.integration)
        and _installation(run.get("payload")) == principal.integration
    )


def _secret_inputs(definition: dict[str, Any] | None) -> frozenset[str] | None:
    """The inputs ``definition`` declares secret (``encryption`` on the input, in
    ``trigger.userInputs`` or, as older actions, ``userInputs``); None without a definition
    (the action was deleted: every input is taken as secret)."""
    if definition is None:
        return None
    declared: dict[str, Any] = {}
    for holder in (definition.get("trigger"), definition):
        inputs = holder.get("userInputs") if isinstance(holder, dict) else None
        found = inputs.get("properties") if isinstance(inputs, dict) else None
        declared |= found if isinstance(found, dict) else {}
    return frozenset(k for k, v in declared.items() if isinstance(v, dict) and v.get("encryption"))


def _leaves(value: Any) -> Iterator[Any]:
    """The strings, numbers and booleans within ``value`` (walked without recursion: a
    run's inputs nest as deep as JSON lets them)."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict | list):
            stack.extend(reversed(list(item.values()) if isinstance(item, dict) else item))
        elif item is not None:
            yield item


def _hidden(run: dict[str, Any], definition: dict[str, Any] | None) -> frozenset[str]:
    """The run's inputs to redact: those declared secret (all, when the action is gone)."""
    inputs = run.get("properties")
    given = frozenset(inputs) if isinstance(inputs, dict) else frozenset()
    secret = _secret_inputs(definition)
    return given if secret is None else given & secret


def _secret_texts(run: dict[str, Any], definition: dict[str, Any] | None) -> list[str]:
    """The texts of the run's secret input values, longest first (what is scrubbed from
    the texts the run and its log lines hold)."""
    inputs = run.get("properties") or {}
    values = [inputs[name] for name in _hidden(run, definition)]
    texts = {leaf for leaf in _leaves(values) if isinstance(leaf, str) and leaf}
    return sorted(texts, key=len, reverse=True)


def _mentions(template: Any, hidden: frozenset[str]) -> bool:
    """Whether a template renders one of the ``hidden`` inputs, or all the inputs."""
    strings = (leaf for leaf in _leaves(template) if isinstance(leaf, str))
    expressions = (found for text in strings for found in _TEMPLATE.findall(text))
    names = (m.group(1) or m.group(2) for e in expressions for m in _INPUT.finditer(e))
    return any(name is None or name in hidden for name in names)


def _holds(value: Any, texts: list[str], others: list[str]) -> bool:
    """Whether ``value`` holds a secret: a text within one of its strings, or another
    value (a number, a boolean) as one of its leaves."""
    return any(
        any(text in leaf for text in texts) if isinstance(leaf, str) else json.dumps(leaf) in others
        for leaf in _leaves(value)
    )


def _scrub(text: str, texts: list[str]) -> str:
    for secret in texts:
        text = text.replace(secret, ENCRYPTED)
    return text


def _scrubbed(holder: dict[str, Any], field: str, texts: list[str]) -> dict[str, Any]:
    """``holder`` with the secret texts of its string ``field`` replaced."""
    value = holder.get(field)
    return dict(holder, **{field: _scrub(value, texts)}) if isinstance(value, str) else holder


def _redacted(run: dict[str, Any], definition: dict[str, Any] | None) -> dict[str, Any]:
    """``run`` as a caller other than its executing integration reads it: each secret input
    ``"[encrypted]"``, as each execution property that renders one (by the action's
    template) or holds one, or all of them when the action is gone; their texts scrubbed
    from its summary, status label and links."""
    hidden = _hidden(run, definition)
    if not hidden:
        return run
    inputs: dict[str, Any] = run["properties"]
    texts = _secret_texts(run, definition)
    others = [json.dumps(v) for v in _leaves([inputs[k] for k in hidden]) if not isinstance(v, str)]
    invocation = (definition or {}).get("invocationMethod") or {}
    template = invocation.get("integrationActionExecutionProperties")

    def reveals(key: str | None, value: Any) -> bool:
        if definition is None:
            return True
        part = template.get(key) if isinstance(template, dict) and key else template
        by_key = template is None and key in hidden  # no template: the inputs themselves
        return by_key or _mentions(part, hidden) or _holds(value, texts, others)

    shown = dict(run, properties={k: ENCRYPTED if k in hidden else v for k, v in inputs.items()})
    payload = run.get("payload")
    properties = payload.get("integrationActionExecutionProperties") if payload else None
    if isinstance(properties, dict):
        safe = {k: ENCRYPTED if reveals(k, v) else v for k, v in properties.items()}
        shown["payload"] = dict(payload or {}, integrationActionExecutionProperties=safe)
    elif properties is not None and reveals(None, properties):
        shown["payload"] = dict(payload or {}, integrationActionExecutionProperties=ENCRYPTED)
    shown = _scrubbed(_scrubbed(shown, "summary", texts), "statusLabel", texts)
    if isinstance(shown.get("link"), list):
        shown["link"] = [_scrub(x, texts) if isinstance(x, str) else x for x in shown["link"]]
    return shown
