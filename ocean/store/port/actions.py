"""Actions and action runs over a Port API (Port itself, or ``ocean catalog serve``), by the
routes the original's execution manager and Port's users call: ``/actions``,
``/actions/{id}/runs``, ``/actions/runs/claim-pending``, ``/actions/runs/ack``,
``/actions/runs/{id}`` and its ``/logs``. Leases are Ocean's extension, sent only to an Ocean
catalog server: the lease an acknowledgement takes (``leaseSeconds`` beside ``runId``) and
its renewal (``/ocean/actions/runs/{id}/lease``). Port has none and never ends a run on its
own. A 403 (the credential may not do this) is an :class:`ActionError` with status 403;
a refused token request (401, 403) a :class:`CredentialRefusedError`.

Workflow node runs take the routes the original's client takes: ``POST
/workflows/runs/claim-pending`` (answering ``nodeRuns``), ``PATCH /workflows/runs/ack``
(``nodeRunIdentifier``), ``PATCH /workflows/nodes/runs/{id}``, ``POST
/workflows/nodes/runs/{id}/logs`` (``{"logs": [{"level", "message"}]}``) and the lookup
``GET /workflows/nodes/runs?external_run_id=...&include=nodeConfig``; the claim, the
acknowledgement and the lookup carry ``x-port-reserved-usage: true``. Ocean's own catalog
server has no workflows: its claim is not even asked."""

from __future__ import annotations

from typing import Any

from ocean.actions.catalog import ActionsCatalog, CredentialRefusedError, check_action
from ocean.errors import ActionError, RunAlreadyAcknowledgedError
from ocean.store.port.http import TOKEN_PATH, PortAPIError, PortHTTP
from ocean.store.port.store import PortAPIStore

RESERVED = {"x-port-reserved-usage": "true"}
"""What the original sends on claim-pending and ack."""


class PortActions(ActionsCatalog):
    """Actions in a Port API."""

    def __init__(self, store: PortAPIStore) -> None:
        self.store = store

    @property
    def _http(self) -> PortHTTP:
        http: PortHTTP = self.store._http
        return http

    async def _call(self, method: str, path: str, **options: Any) -> dict[str, Any]:
        idempotent = method in ("GET", "PUT", "DELETE")
        try:
            reply = await self._http.call(method, path, idempotent=idempotent, **options)
        except PortAPIError as error:
            if error.call == f"POST {TOKEN_PATH}" and error.status in (401, 403):
                raise CredentialRefusedError(str(error), error.status) from None
            if error.status == 409 and path.endswith("/ack"):
                raise RunAlreadyAcknowledgedError(str(error)) from None
            if error.status in (404, 409, 422, 400, 403):
                raise ActionError(
                    str(error), 422 if error.status == 400 else error.status
                ) from None
            raise
        answer: dict[str, Any] = reply.body
        return answer

    async def _ocean(self) -> bool:
        await self._http.limits()
        return self._http.ocean

    async def save_action(self, action: dict[str, Any], *, replace: bool) -> dict[str, Any]:
        check_action(action)
        if replace:
            answer = await self._call("PUT", f"/actions/{action['identifier']}", json=action)
        else:
            answer = await self._call("POST", "/actions", json=action)
        stored: dict[str, Any] = answer.get("action") or action
        return stored

    async def list_actions(self) -> list[dict[str, Any]]:
        return list((await self._call("GET", "/actions")).get("actions") or [])

    async def get_action(self, identifier: str) -> dict[str, Any] | None:
        try:
            answer = await self._call("GET", f"/actions/{identifier}")
        except ActionError as error:
            if error.status == 404:
                return None
            raise
        found: dict[str, Any] | None = answer.get("action")
        return found

    async def delete_action(self, identifier: str) -> bool:
        try:
            await self._call("DELETE", f"/actions/{identifier}")
        except ActionError as error:
            if error.status == 404:
                return False
            raise
        return True

    async def trigger(
        self,
        action: str,
        inputs: dict[str, Any],
        entity: str | None = None,
        blueprint: str | None = None,
    ) -> dict[str, Any]:
        body: dict[str, Any] = {"properties": inputs}
        if entity is not None:
            body["entity"] = entity
        if blueprint is not None and await self._ocean():
            body["blueprint"] = blueprint
        run: dict[str, Any] = (await self._call("POST", f"/actions/{action}/runs", json=body))[
            "run"
        ]
        return run

    async def claim_runs(
        self, installation: str, limit: int, visibility_seconds: float, exclude: list[str]
    ) -> list[dict[str, Any]]:
        body = _claim(installation, limit, visibility_seconds, exclude)
        answer = await self._call(
            "POST", "/actions/runs/claim-pending", json=body, headers=RESERVED
        )
        return list(answer.get("runs") or [])

    async def ack_run(self, run_id: str, lease_seconds: float | None = None) -> None:
        body: dict[str, Any] = {"runId": run_id}
        if lease_seconds is not None and await self._ocean():
            body["leaseSeconds"] = lease_seconds
        await self._call("PATCH", "/actions/runs/ack", json=body, headers=RESERVED)

    async def lease_run(self, run_id: str, seconds: float) -> None:
        if await self._ocean():
            path = f"/ocean/actions/runs/{run_id}/lease"
            await self._call("POST", path, json={"seconds": seconds})

    async def patch_run(self, run_id: str, patch: dict[str, Any]) -> dict[str, Any]:
        answer = await self._call("PATCH", f"/actions/runs/{run_id}", json=patch)
        run: dict[str, Any] = answer.get("run") or {"id": run_id, **patch}
        return run

    async def add_log(self, run_id: str, message: str, level: str = "INFO") -> None:
        await self._post_log(run_id, {"message": message}, level)

    async def add_labelled_log(
        self, run_id: str, message: str, level: str, status_label: str
    ) -> None:
        await self._post_log(run_id, {"message": message, "statusLabel": status_label}, level)

    async def _post_log(self, run_id: str, body: dict[str, Any], level: str) -> None:
        if await self._ocean():
            body["level"] = level
        await self._call("POST", f"/actions/runs/{run_id}/logs", json=body)

    async def get_run(self, run_id: str) -> dict[str, Any] | None:
        try:
            answer = await self._call("GET", f"/actions/runs/{run_id}", params={"version": "v2"})
        except ActionError as error:
            if error.status == 404:
                return None
            raise
        found: dict[str, Any] | None = answer.get("run")
        return found

    async def list_runs(
        self,
        *,
        action: str | None = None,
        external_run_id: str | None = None,
        active: bool | None = None,
        limit: int = 100,
    ) -> list[dict[str, Any]]:
        params: dict[str, Any] = {"version": "v2", "limit": limit}
        if action is not None:
            params["action"] = action
        if external_run_id is not None:
            params["external_run_id"] = external_run_id
        if active is not None:
            params["active"] = "true" if active else "false"
        return list((await self._call("GET", "/actions/runs", params=params)).get("runs") or [])

    async def run_logs(self, run_id: str) -> list[dict[str, Any]]:
        answer = await self._call("GET", f"/actions/runs/{run_id}/logs")
        return list(answer.get("runLogs") or [])

    async def claim_node_runs(
        self, installation: str, limit: int, visibility_seconds: float, exclude: list[str]
    ) -> list[dict[str, Any]]:
        if await self._ocean():
            return []  # Ocean's catalog server runs no workflows (its claim answers none)
        body = _claim(installation, limit, visibility_seconds, exclude)
        answer = await self._call(
            "POST", "/workflows/runs/claim-pending", json=body, headers=RESERVED
        )
        return list(answer.get("nodeRuns") or [])

    async def ack_node_run(self, run_id: str) -> None:
        body = {"nodeRunIdentifier": run_id}
        await self._call("PATCH", "/workflows/runs/ack", json=body, headers=RESERVED)

    async def patch_node_run(self, run_id: str, patch: dict[str, Any]) -> None:
        await self._call("PATCH", f"/workflows/nodes/runs/{run_id}", json=patch)

    async def add_node_logs(self, run_id: str, logs: list[dict[str, Any]]) -> None:
        await self._call("POST", f"/workflows/nodes/runs/{run_id}/logs", json={"logs": logs})

    async def node_run_by_external_id(self, external_id: str) -> dict[str, Any] | None:
        params = {"external_run_id": external_id, "include": "nodeConfig"}
        answer = await self._call("GET", "/workflows/nodes/runs", params=params, headers=RESERVED)
        found = list(answer.get("nodeRuns") or [])
        return dict(found[0]) if found else None


def _claim(
    installation: str, limit: int, visibility_seconds: float, exclude: list[str]
) -> dict[str, Any]:
    """A claim's body, of action runs or of workflow node runs alike."""
    body: dict[str, Any] = {
        "installationId": installation,
        "limit": limit,
        "visibilityTimeoutMs": int(visibility_seconds * 1000),
    }
    if exclude:
        body["exclude"] = exclude
    return body
