"""A small in-memory Port API that hands out both kinds of run an integration executes:
action runs (``/v1/actions/runs/...``) and workflow node runs (``/v1/workflows/...``), as
Port's execution protocol has them, served through ``httpx.MockTransport``. It records every
call (method, path, query, headers, body) so tests read what went on the wire."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import httpx

from ocean.store.port.http import PortHTTP
from ocean.store.port.store import PortAPIStore

INSTALLATION = "wf-integration"
RESERVED = "x-port-reserved-usage"


@dataclass
class Call:
    method: str
    path: str
    params: dict[str, str]
    headers: dict[str, str]
    body: Any


def node_run(
    identifier: str,
    invocation: str,
    properties: dict[str, Any],
    *,
    node_uid: str | None = None,
    installation: str = INSTALLATION,
) -> dict[str, Any]:
    """A pending workflow node run as Port's claim answers it (its node's config inline)."""
    return {
        "identifier": identifier,
        "nodeUid": node_uid or f"node-{identifier}",
        "status": "IN_PROGRESS",
        "config": {
            "type": "INTEGRATION_ACTION",
            "installationId": installation,
            "integrationProvider": "wf-test",
            "integrationInvocationType": invocation,
            "integrationActionExecutionProperties": properties,
        },
        "output": {},
    }


def action_run(
    identifier: str, action_type: str, properties: dict[str, Any], *, action: str = "greet"
) -> dict[str, Any]:
    """A pending action run in Port's ``ActionRun`` shape."""
    return {
        "id": identifier,
        "status": "IN_PROGRESS",
        "action": {"identifier": action},
        "properties": {},
        "payload": {
            "type": "INTEGRATION_ACTION",
            "installationId": INSTALLATION,
            "integrationActionType": action_type,
            "integrationActionExecutionProperties": properties,
        },
        "link": [],
    }


@dataclass
class WorkflowPort:
    """Port with action runs and workflow node runs for its integrations; ``answers`` maps
    ``"METHOD /path"`` to a status answered in place of the route (an older Port without
    workflows: 404 on the workflow claim, say), ``failing`` to statuses answered in its
    place one call each, before it answers again (a passing 502)."""

    action_runs: dict[str, dict[str, Any]] = field(default_factory=dict)
    node_runs: dict[str, dict[str, Any]] = field(default_factory=dict)
    calls: list[Call] = field(default_factory=list)
    claimed: set[str] = field(default_factory=set)
    acked: set[str] = field(default_factory=set)
    action_logs: dict[str, list[str]] = field(default_factory=dict)
    node_logs: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    node_patches: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    answers: dict[str, int] = field(default_factory=dict)
    failing: dict[str, list[int]] = field(default_factory=dict)

    def add(self, *runs: dict[str, Any]) -> None:
        for run in runs:
            if "identifier" in run:
                self.node_runs[run["identifier"]] = run
            else:
                self.action_runs[run["id"]] = run

    def client(self) -> PortAPIStore:
        http = PortHTTP("https://port.test", "id", "secret", user_agent="port-ocean/test",
                        transport=httpx.MockTransport(self.handle), base_delay=0.001)  # fmt: skip
        return PortAPIStore(http)

    def on(self, method: str, prefix: str) -> list[Call]:
        """The calls of ``method`` whose path starts with ``prefix``."""
        return [c for c in self.calls if c.method == method and c.path.startswith(prefix)]

    def handle(self, request: httpx.Request) -> httpx.Response:
        path, method = request.url.path.removeprefix("/v1"), request.method
        body = json.loads(request.content) if request.content else None
        headers = {k.lower(): v for k, v in request.headers.items()}
        self.calls.append(Call(method, path, dict(request.url.params), headers, body))
        status = self.answers.get(f"{method} {path}")
        passing = self.failing.get(f"{method} {path}")
        if status is None and passing:
            status = passing.pop(0)
        if status is not None:
            return _error(status, f"answered {status}")
        if path == "/auth/access_token":
            return httpx.Response(200, json={"ok": True, "accessToken": "t", "expiresIn": 3600})
        if path.startswith("/workflows/"):
            return self._workflows(method, path, body, request)
        if path.startswith("/actions/runs"):
            return self._actions(method, path, body, request)
        return _error(404, f"no route {method} {path}")

    # action runs

    def _actions(self, method: str, path: str, body: Any, request: httpx.Request) -> httpx.Response:
        if path == "/actions/runs/claim-pending":
            runs = self._claim(self.action_runs, body, lambda r: r["action"]["identifier"])
            return _ok(runs=runs)
        if path == "/actions/runs/ack":
            return self._ack(self.action_runs, body["runId"])
        if path == "/actions/runs" and method == "GET":
            wanted = request.url.params.get("external_run_id")
            found = [r for r in self.action_runs.values() if r.get("externalRunId") == wanted]
            return _ok(runs=found)
        run_id = path.split("/")[3]
        run = self.action_runs.get(run_id)
        if run is None:
            return _error(404, f"no action run {run_id}")
        if path.endswith("/logs"):
            self.action_logs.setdefault(run_id, []).append(body["message"])
            return _ok()
        if method == "PATCH":
            run.update({k: v for k, v in body.items() if k != "link"})
            if "link" in body:
                run["link"] = body["link"] if isinstance(body["link"], list) else [body["link"]]
        return _ok(run=run)

    # workflow node runs

    def _workflows(
        self, method: str, path: str, body: Any, request: httpx.Request
    ) -> httpx.Response:
        if path == "/workflows/runs/claim-pending" and method == "POST":
            runs = self._claim(self.node_runs, body, lambda r: r.get("nodeUid") or "")
            return _ok(nodeRuns=runs)
        if path == "/workflows/runs/ack" and method == "PATCH":
            return self._ack(self.node_runs, body["nodeRunIdentifier"])
        if path == "/workflows/nodes/runs" and method == "GET":
            wanted = request.url.params.get("external_run_id")
            found = [_looked_up(r) for r in self.node_runs.values()
                     if r.get("externalRunId") == wanted]  # fmt: skip
            return _ok(nodeRuns=found)
        parts = path.split("/")  # /workflows/nodes/runs/{id}[/logs]
        run = self.node_runs.get(parts[4]) if len(parts) > 4 else None
        if run is None:
            return _error(404, f"no workflow node run at {path}")
        if parts[-1] == "logs" and method == "POST":
            self.node_logs.setdefault(run["identifier"], []).extend(body["logs"])
            return _ok()
        if method == "PATCH":
            self.node_patches.setdefault(run["identifier"], []).append(body)
            run.update(body)
            return _ok()
        return _error(405, f"{method} {path}")

    # shared

    def _claim(
        self, runs: dict[str, dict[str, Any]], body: dict[str, Any], key: Any
    ) -> list[dict[str, Any]]:
        excluded = set(body.get("exclude") or [])
        pending = [
            r for name, r in runs.items()
            if name not in self.claimed and key(r) not in excluded
            and _installation(r) == body["installationId"]
        ][: body["limit"]]  # fmt: skip
        self.claimed.update(r.get("id") or r["identifier"] for r in pending)
        return [json.loads(json.dumps(r)) for r in pending]

    def _ack(self, runs: dict[str, dict[str, Any]], run_id: str) -> httpx.Response:
        if run_id not in runs:
            return _error(404, f"no run {run_id}")
        if run_id in self.acked:
            return _error(409, f"run {run_id} was acknowledged already")
        self.acked.add(run_id)
        return _ok()


def _installation(run: dict[str, Any]) -> str:
    holder = run.get("config") or run.get("payload") or {}
    return str(holder.get("installationId"))


def _looked_up(run: dict[str, Any]) -> dict[str, Any]:
    """A node run as Port's lookup answers it (``include=nodeConfig``): its config under
    ``node``."""
    found = {k: v for k, v in run.items() if k != "config"}
    return json.loads(json.dumps(found | {"node": {"config": run["config"]}}))


def _ok(**values: Any) -> httpx.Response:
    return httpx.Response(200, json={"ok": True, **values})


def _error(status: int, message: str) -> httpx.Response:
    error = {404: "not_found", 409: "conflict"}.get(status, "error")
    return httpx.Response(status, json={"ok": False, "error": error, "message": message})
