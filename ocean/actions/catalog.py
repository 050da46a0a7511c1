"""Where actions and their runs live (:class:`ActionsCatalog`): the embedded SQLite catalog,
PostgreSQL, or a Port API (Port itself, or ``ocean catalog serve``); :func:`actions_of`
picks the one over a store.

A run is claimed in two steps, as Port's execution protocol has it: ``claim_runs`` hides
pending runs from other pollers for a visibility timeout (a poller that dies lets them be
claimed again when it lapses: retried), and ``ack_run`` takes one for good, atomically (a
second acknowledgement is refused with :class:`~ocean.errors.RunAlreadyAcknowledgedError`).
Ocean's runner names a lease with its acknowledgement and renews it (``lease_run``) while it
executes; a run whose lease lapsed (its runner died) is ended ``FAILURE`` by the next claim,
with a log line saying so, never run twice nor left in progress. A run acknowledged without
a lease (the original's runner, which never renews one, as Port has no leases) and a run
handed to an external system (a PATCH setting ``externalRunId``, which drops its lease)
hold none: they stay in progress until someone ends them, as in Port.

Port also hands integrations the node runs of its workflows (``claim_node_runs``,
``ack_node_run``, ``patch_node_run``, ``add_node_logs``, ``node_run_by_external_id``; see
:mod:`ocean.store.port.actions`). Ocean's own catalogs, embedded or served, run no
workflows: by default a catalog has no node runs, so its claim answers none and a lookup
finds none (no error, nothing logged), and a call on a node run says it does not exist.
"""

from __future__ import annotations

import uuid
from abc import ABC, abstractmethod
from typing import Any

from ocean.actions.templates import rendered
from ocean.errors import AccessError, ActionError
from ocean.store.base import Store, now_iso

LAPSED = (
    "The runner that acknowledged this run stopped renewing its lease ({seconds:g} s) "
    "without ending it (the process was killed or lost the catalog); the run was ended "
    "FAILURE rather than run twice. Trigger the action again if it is safe to repeat."
)


class CredentialRefusedError(AccessError):
    """The catalog refused the credential itself: its token request (``POST
    /auth/access_token``) was answered ``status``, 401 (the client id and secret were not
    accepted) or 403 (they may not sign in), so no call can be made with it, whatever it
    asks. Raised by a catalog that signs in (a Port API) in place of the call's own error."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status

    def __reduce__(self) -> tuple[type[CredentialRefusedError], tuple[str, int]]:
        return type(self), (str(self), self.status)  # the status survives a child process


class ActionsCatalog(ABC):
    """Actions (Port's action definitions, stored whole) and their runs and logs."""

    @abstractmethod
    async def save_action(self, action: dict[str, Any], *, replace: bool) -> dict[str, Any]:
        """Create ``action`` (409 when it exists, unless ``replace``); returns it stored."""

    @abstractmethod
    async def list_actions(self) -> list[dict[str, Any]]: ...

    @abstractmethod
    async def get_action(self, identifier: str) -> dict[str, Any] | None: ...

    @abstractmethod
    async def delete_action(self, identifier: str) -> bool: ...

    @abstractmethod
    async def trigger(
        self,
        action: str,
        inputs: dict[str, Any],
        entity: str | None = None,
        blueprint: str | None = None,
    ) -> dict[str, Any]:
        """A new ``IN_PROGRESS`` run of ``action`` with these inputs, on ``entity``."""

    @abstractmethod
    async def claim_runs(
        self, installation: str, limit: int, visibility_seconds: float, exclude: list[str]
    ) -> list[dict[str, Any]]:
        """Up to ``limit`` runs for ``installation`` nobody acknowledged or claims, oldest
        first, hidden from other claims for ``visibility_seconds`` (actions in ``exclude``
        left out); lapsed leases are ended first."""

    @abstractmethod
    async def ack_run(self, run_id: str, lease_seconds: float | None = None) -> None:
        """Take the run for good (:class:`RunAlreadyAcknowledgedError` when another did);
        with ``lease_seconds`` (more than 0) it holds a lease that long, which the caller
        renews with :meth:`lease_run` (without: none, as in Port)."""

    @abstractmethod
    async def lease_run(self, run_id: str, seconds: float) -> None:
        """Renew the lease an acknowledged run still holds for ``seconds``; 0 drops it (the
        run waits for an external system, with no deadline). A run that holds none (never
        given one, dropped, or handed to an external run) is left without one. A run
        claimed and not yet acknowledged keeps its claim ``seconds`` more while it is still
        claimed (its runner queues it behind a run of its partition: no other claims it
        meanwhile); Port has no such renewal."""

    @abstractmethod
    async def patch_run(self, run_id: str, patch: dict[str, Any]) -> dict[str, Any]:
        """Apply Port's run PATCH (status, statusLabel, link, summary, externalRunId); one
        that ends the run or sets its ``externalRunId`` drops its lease."""

    @abstractmethod
    async def add_log(self, run_id: str, message: str, level: str = "INFO") -> None: ...

    async def add_labelled_log(
        self, run_id: str, message: str, level: str, status_label: str
    ) -> None:
        """Add a log line that also sets the run's ``statusLabel`` (what Port takes in one
        request: ``POST /actions/runs/{id}/logs`` with ``statusLabel``); here, the line,
        then the PATCH."""
        await self.add_log(run_id, message, level)
        await self.patch_run(run_id, {"statusLabel": status_label})

    @abstractmethod
    async def get_run(self, run_id: str) -> dict[str, Any] | None: ...

    @abstractmethod
    async def list_runs(
        self,
        *,
        action: str | None = None,
        external_run_id: str | None = None,
        active: bool | None = None,
        limit: int = 100,
    ) -> list[dict[str, Any]]:
        """Runs, newest first."""

    @abstractmethod
    async def run_logs(self, run_id: str) -> list[dict[str, Any]]:
        """The run's log lines, oldest first (``message``, ``level``, ``createdAt``)."""

    # Workflow node runs: only Port has them (see the module's docstring).

    async def claim_node_runs(
        self, installation: str, limit: int, visibility_seconds: float, exclude: list[str]
    ) -> list[dict[str, Any]]:
        """Up to ``limit`` pending workflow node runs for ``installation`` (Port's
        ``WorkflowNodeRun``), hidden from other claims for ``visibility_seconds``, those of
        the nodes in ``exclude`` (their ``nodeUid``) left out; here: none."""
        return []

    async def ack_node_run(self, run_id: str) -> None:
        """Take the node run for good (:class:`RunAlreadyAcknowledgedError` when another
        did; no lease: Port has none)."""
        raise _no_node_run(run_id)

    async def patch_node_run(self, run_id: str, patch: dict[str, Any]) -> None:
        """Apply Port's node-run PATCH (``status``, ``result``, ``output``,
        ``externalRunId``, ``links``, ``statusLabel``: ``{"text": ...}``)."""
        raise _no_node_run(run_id)

    async def add_node_logs(self, run_id: str, logs: list[dict[str, Any]]) -> None:
        """Add ``{"level", "message"}`` lines (levels INFO, WARN, ERROR, DEBUG)."""
        raise _no_node_run(run_id)

    async def node_run_by_external_id(self, external_id: str) -> dict[str, Any] | None:
        """The node run an external run of ``external_id`` carries on, if any; here: none."""
        return None


def _no_node_run(run_id: str) -> ActionError:
    return ActionError(
        f"workflow node run {run_id!r} does not exist: this catalog runs no workflows "
        "(only Port hands out workflow node runs)",
        404,
    )


class StoredActions(ActionsCatalog):
    """A catalog that holds runs itself (SQLite, PostgreSQL): runs are made here."""

    def __init__(self, store: Store) -> None:
        self.store = store

    @abstractmethod
    async def _insert_run(self, body: dict[str, Any], installation: str) -> None: ...

    async def trigger(
        self,
        action: str,
        inputs: dict[str, Any],
        entity: str | None = None,
        blueprint: str | None = None,
    ) -> dict[str, Any]:
        definition = await self.get_action(action)
        if definition is None:
            raise ActionError(
                f"action {action!r} does not exist; list them with `ocean actions list`", 404
            )
        found = await self._entity(definition, entity, blueprint)
        body = new_run(definition, inputs, found)
        await self._insert_run(body, body["payload"]["installationId"])
        return body

    async def _entity(
        self, definition: dict[str, Any], entity: str | None, blueprint: str | None
    ) -> dict[str, Any] | None:
        if entity is None:
            return None
        blueprint = blueprint or (definition.get("trigger") or {}).get("blueprintIdentifier")
        if not blueprint:
            raise ActionError(
                f"action {definition['identifier']!r} has no trigger.blueprintIdentifier; "
                "name the entity's blueprint too (--entity BLUEPRINT/IDENTIFIER)"
            )
        found = (await self.store.get_entities(blueprint, [entity])).get(entity)
        if found is None:
            raise ActionError(f"entity {blueprint}/{entity} does not exist in the catalog", 404)
        return dict(found)


def new_run(
    definition: dict[str, Any], inputs: dict[str, Any], entity: dict[str, Any] | None
) -> dict[str, Any]:
    """A new run's document: Port's ``ActionRun``, its execution properties rendered."""
    invocation = definition.get("invocationMethod") or {}
    if invocation.get("type") != "INTEGRATION_ACTION" or not invocation.get("installationId"):
        raise ActionError(
            f"action {definition.get('identifier')!r} is not run by an integration: its "
            'invocationMethod must be {"type": "INTEGRATION_ACTION", "installationId": '
            '"<integration identifier>", "integrationActionType": "<executor ACTION_NAME>"}'
        )
    context = {"inputs": inputs, "entity": entity or {}, "action": definition}
    template = invocation.get("integrationActionExecutionProperties")
    properties = rendered(template, context) if template else dict(inputs)
    at = now_iso()
    run: dict[str, Any] = {
        "id": f"r_{uuid.uuid4().hex[:16]}",
        "status": "IN_PROGRESS",
        "action": {"identifier": definition["identifier"], "title": definition.get("title")},
        "properties": inputs,
        "payload": {
            "type": "INTEGRATION_ACTION",
            "installationId": invocation["installationId"],
            "integrationActionType": invocation.get("integrationActionType")
            or definition["identifier"],
            "integrationActionExecutionProperties": properties,
        },
        "link": [],
        "source": "API",
        "createdAt": at,
        "updatedAt": at,
    }
    if entity is not None:
        run["entity"] = entity
        run["blueprint"] = {"identifier": entity.get("blueprint")}
    return run


def check_action(action: Any) -> dict[str, Any]:
    """``action`` if it is an action definition Ocean can store."""
    if not isinstance(action, dict) or not isinstance(action.get("identifier"), str):
        raise ActionError('an action is a JSON object with a string "identifier"')
    if not action["identifier"].strip():
        raise ActionError("an action's identifier must not be empty")
    return action
