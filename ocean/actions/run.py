"""A run as executors see it (:class:`Run`), and how the catalog's run documents change:
Port's ``ActionRun`` shape (``id``, ``status``, ``action``, ``payload``, ``properties``,
``entity``, ``link``, ``externalRunId``, times), which every catalog stores whole.

A run is one of two kinds (:attr:`Run.kind`), as in the original: an action run
(:data:`ACTION`), or a Port workflow's node run (:data:`WORKFLOW_NODE`: Port's
``WorkflowNodeRun``, ``identifier``, ``nodeUid``, ``status`` ``IN_PROGRESS`` or
``COMPLETED``, its node's ``config``, ``result``, ``output``), which only Port hands out and
which is reported on its own routes: log lines with a level (``WARNING`` sent as ``WARN``),
and a completion that carries a result (``SUCCESS``, ``FAILED``) and the run's output."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from ocean.errors import ActionError
from ocean.store.base import now_iso

if TYPE_CHECKING:
    from ocean.actions.catalog import ActionsCatalog

_log = logging.getLogger(__name__)
IN_PROGRESS, SUCCESS, FAILURE = "IN_PROGRESS", "SUCCESS", "FAILURE"
STATUSES = (IN_PROGRESS, SUCCESS, FAILURE)
ACTION, WORKFLOW_NODE = "action", "workflow_node"
"""The kinds of run (the original's ``RunKind`` values)."""
COMPLETED, FAILED = "COMPLETED", "FAILED"
"""A workflow node run's end: status ``COMPLETED``, result ``SUCCESS`` or ``FAILED``."""
NODE_LEVELS = {"WARNING": "WARN", "CRITICAL": "ERROR"}
"""Log levels a workflow node run's log takes otherwise (it takes INFO, WARN, ERROR, DEBUG)."""
PATCHABLE = ("status", "statusLabel", "link", "summary", "externalRunId")
"""The fields a run's PATCH may set, as Port's."""
ENDING_SENDS = 5
"""How many times the PATCH that ends a run is sent at most (:func:`ending`)."""
ENDING_FIRST_WAIT = 0.5
"""Seconds before it is sent the second time, doubled before each next time."""
T = TypeVar("T")


@dataclass
class Run:
    """One run of an action (or of a workflow's node), handed to
    :meth:`ocean.actions.Executor.perform`.

    ``properties`` are the execution properties (the action's
    ``integrationActionExecutionProperties`` rendered with the run's inputs and entity, or
    the inputs themselves; a node run's node's); ``inputs`` what the user gave; ``entity``
    the entity the action ran on (None: a global action, and every node run). Report with
    :meth:`log`, :meth:`started` (a link and the id of the external run that will finish
    it, e.g. from a webhook) and :meth:`finish`. A node run's ``action`` is its node's uid
    (its identifier without one), its ``action_type`` the node's
    ``integrationInvocationType``, and ``output`` what its completion reports."""

    id: str
    action: str
    action_type: str
    properties: dict[str, Any]
    inputs: dict[str, Any]
    entity: dict[str, Any] | None
    status: str
    external_run_id: str | None = None
    links: list[str] = field(default_factory=list)
    kind: str = ACTION
    output: dict[str, Any] = field(default_factory=dict)
    """A workflow node run's output, sent with its completion (fill it in ``perform``)."""
    result: str | None = None
    """A completed workflow node run's result."""
    body: dict[str, Any] = field(default_factory=dict, repr=False)
    """The run as the catalog returned it (Port's shape)."""
    catalog: ActionsCatalog | None = field(default=None, repr=False, compare=False)

    @classmethod
    def of(cls, body: dict[str, Any], catalog: ActionsCatalog | None = None) -> Run:
        payload = body.get("payload") or {}
        return cls(
            id=str(body["id"]),
            action=str((body.get("action") or {}).get("identifier", "")),
            action_type=str(payload.get("integrationActionType", "")),
            properties=dict(payload.get("integrationActionExecutionProperties") or {}),
            inputs=dict(body.get("properties") or {}),
            entity=body.get("entity") or None,
            status=str(body.get("status", IN_PROGRESS)),
            external_run_id=body.get("externalRunId"),
            links=list(body.get("link") or []),
            body=body,
            catalog=catalog,
        )

    @classmethod
    def of_node(cls, body: dict[str, Any], catalog: ActionsCatalog | None = None) -> Run:
        """A workflow node run (Port's ``WorkflowNodeRun``: its config inline, as a claim
        answers, or under ``node``, as a lookup does)."""
        config = node_config(body)
        identifier = str(body.get("identifier") or body["id"])
        return cls(
            id=identifier,
            action=str(body.get("nodeUid") or identifier),
            action_type=str(config.get("integrationInvocationType", "")),
            properties=dict(config.get("integrationActionExecutionProperties") or {}),
            inputs={},
            entity=None,
            status=str(body.get("status", IN_PROGRESS)),
            external_run_id=body.get("externalRunId"),
            links=list(body.get("links") or []),
            kind=WORKFLOW_NODE,
            output=dict(body.get("output") or {}),
            result=body.get("result"),
            body=body,
            catalog=catalog,
        )

    @property
    def in_progress(self) -> bool:
        return self.status == IN_PROGRESS

    @property
    def is_node(self) -> bool:
        return self.kind == WORKFLOW_NODE

    def _catalog(self) -> ActionsCatalog:
        if self.catalog is None:
            raise ActionError(
                f"run {self.id} is not bound to a catalog; get it from the execution manager "
                "or from Integration.action_runs"
            )
        return self.catalog

    async def log(
        self, message: str, level: str = "INFO", *, status_label: str | None = None
    ) -> None:
        """Add a line to the run's log (what ``ocean actions logs`` and Port show);
        ``status_label`` also sets the run's label, as the original's ``post_run_log``: an
        action run's with the line itself, a node run's by a PATCH after it (Port takes it
        only there)."""
        if not status_label:
            await self.log_lines([(level, message)])
        elif self.is_node:
            try:
                await self.log_lines([(level, message)])
            finally:  # the label even when the line failed, as the original's
                await self.patch(label_field(status_label, node=True))
        else:
            await self._catalog().add_labelled_log(self.id, message, level, status_label)

    async def log_lines(self, lines: list[tuple[str, str]]) -> None:
        """Add ``(level, message)`` lines to the run's log (a node run's in one call)."""
        if self.is_node:
            logs = [{"level": node_level(level), "message": text} for level, text in lines]
            await self._catalog().add_node_logs(self.id, logs)
            return
        for level, text in lines:
            await self._catalog().add_log(self.id, text, level=level)

    async def started(
        self,
        link: str | None = None,
        external_id: str | None = None,
        output: dict[str, Any] | None = None,
        *,
        status_label: str | None = None,
    ) -> None:
        """Record where the run can be followed and the id of the external run that carries
        it on; with an ``external_id`` the run stays ``IN_PROGRESS`` after ``perform``
        returns, until :meth:`finish` (a webhook processor, say) ends it. A node run's
        output becomes the link (``workflowRunUrl``) and ``output``, as the original's.
        ``status_label`` (two words at most) is shown on the run in Port."""
        label = label_field(status_label, node=self.is_node)
        if self.is_node:
            await self.patch(started_node_patch(link, external_id, output) | label)
            return
        patch: dict[str, Any] = {}
        if link:
            patch["link"] = link
        if external_id:
            patch["externalRunId"] = external_id
        self._refresh(await self._catalog().patch_run(self.id, patch | label))

    async def finish(
        self, success: bool, message: str | None = None, *, status_label: str | None = None
    ) -> None:
        """End the run ``SUCCESS`` or ``FAILURE`` (a node run: ``COMPLETED`` with that
        result and its :attr:`output`), after logging ``message`` if given, with
        ``status_label`` on it if given (two words at most: what Port shows beside the
        status). The line is only a line: one that cannot be sent is a warning here, and
        the run is ended all the same (as the original's), by a PATCH sent again if it
        fails (:func:`ending`)."""
        if message:
            try:
                await self.log(message, "INFO" if success else "ERROR")
            except Exception as error:
                _log.warning("actions: logging the end of run %s failed (%s); it is ended "
                             "all the same; the line: %s", self.id, error, message)  # fmt: skip
        if self.is_node:
            patch: dict[str, Any] = {"status": COMPLETED, "result": SUCCESS if success else FAILED}
            patch |= {"output": self.output} if self.output else {}
            patch |= label_field(status_label, node=True)
            await ending(self.id, lambda: self.patch(patch))
            return
        status = {"status": SUCCESS if success else FAILURE} | label_field(status_label)
        self._refresh(await ending(self.id, lambda: self._catalog().patch_run(self.id, status)))

    async def patch(self, patch: dict[str, Any]) -> None:
        """Send Port's PATCH of the run as given (a node run's: ``status``, ``result``,
        ``output``, ``externalRunId``, ``links``, ``statusLabel``), and keep what it set."""
        if not self.is_node:
            self._refresh(await self._catalog().patch_run(self.id, patch))
            return
        await self._catalog().patch_node_run(self.id, patch)
        self.status = str(patch.get("status", self.status))
        self.result = patch.get("result", self.result)
        self.external_run_id = patch.get("externalRunId", self.external_run_id)
        self.links = list(patch.get("links", self.links))
        if "output" in patch:
            self.output = dict(patch["output"] or {})

    def _refresh(self, body: dict[str, Any]) -> None:
        fresh = Run.of(body, self.catalog)
        self.status, self.external_run_id = fresh.status, fresh.external_run_id
        self.links, self.body = fresh.links, body


async def ending(run_id: str, send: Callable[[], Awaitable[T]], doing: str = "ending") -> T:
    """``send()``, the PATCH that ends run ``run_id`` (or, ``doing``, the read that
    precedes it), sent again after a failure, at most
    :data:`ENDING_SENDS` times, waiting :data:`ENDING_FIRST_WAIT` and twice as long each
    next time: it alone ends the run (a node run has no lease; Port ends none on its own),
    and sending it twice sets the same fields. An :class:`ActionError` (the request itself
    refused: the run is gone, or ended otherwise) is raised at once."""
    wait = ENDING_FIRST_WAIT
    for left in range(ENDING_SENDS - 1, 0, -1):
        try:
            return await send()
        except ActionError:
            raise
        except Exception as error:
            _log.warning("actions: %s run %s failed (%s); sending it again in %g s (%d "
                         "more times at most)", doing, run_id, error, wait, left)  # fmt: skip
        await asyncio.sleep(wait)
        wait *= 2
    return await send()


def patched(body: dict[str, Any], patch: dict[str, Any], at: str | None = None) -> dict[str, Any]:
    """``body`` with a PATCH's fields applied; a run that ended cannot change status again
    (:class:`ActionError` 409), and the status must be one of Port's."""
    unknown = sorted(set(patch) - set(PATCHABLE))
    if unknown:
        raise ActionError(f"a run's PATCH may set {', '.join(PATCHABLE)}; not {unknown}")
    at = at or now_iso()
    fresh = dict(body, updatedAt=at)
    status = patch.get("status")
    if status is not None:
        if status not in STATUSES:
            raise ActionError(f"status {status!r} is not one of {', '.join(STATUSES)}")
        if body.get("status") != IN_PROGRESS and status != body.get("status"):
            raise ActionError(
                f"run {body.get('id')} already ended {body.get('status')}; it cannot become "
                f"{status}. Trigger the action again for a new run.",
                409,
            )
        fresh["status"] = status
        if status != IN_PROGRESS:
            fresh.setdefault("endedAt", at)
    if "link" in patch:
        link = patch["link"]
        links = link if isinstance(link, list) else [link]
        fresh["link"] = [str(x) for x in links if x]
    for name in ("statusLabel", "summary", "externalRunId"):
        if name in patch:
            fresh[name] = patch[name]
    return fresh


def ended(body: dict[str, Any], status: str, at: str | None = None) -> dict[str, Any]:
    """``body`` ended with ``status`` (used when the catalog itself ends a run)."""
    at = at or now_iso()
    return dict(body, status=status, updatedAt=at, endedAt=at)


class ActionRuns:
    """The runs of the catalog the integration runs with (``ocean.action_runs``): a webhook
    processor finds the run an external system reports on and finishes it."""

    def __init__(self, catalog: ActionsCatalog) -> None:
        self.catalog = catalog

    async def get(self, run_id: str) -> Run | None:
        body = await self.catalog.get_run(run_id)
        return None if body is None else Run.of(body, self.catalog)

    async def by_external_id(self, external_id: str) -> Run | None:
        """The newest run :meth:`Run.started` gave ``external_id``, if any: an action run,
        else a workflow node run. A failed action-run lookup does not stop the node-run
        lookup (as in the original's ``find_run_by_external_id``), but when that finds
        none either, the action-run lookup's error is raised rather than taken for none."""
        failure: Exception | None = None
        try:
            found = await self.catalog.list_runs(external_run_id=external_id, limit=1)
        except Exception as error:
            failure, found = error, []
        if found:
            return Run.of(found[0], self.catalog)
        node = await self.catalog.node_run_by_external_id(external_id)
        if node is not None:
            if failure is not None:
                _log.debug("actions: looking up action runs of %s failed: %s", external_id, failure)
            return Run.of_node(node, self.catalog)
        if failure is not None:
            raise failure
        return None


def node_config(body: dict[str, Any]) -> dict[str, Any]:
    """A node run's integration config: inline (``config``) or its node's."""
    config = body.get("config") or (body.get("node") or {}).get("config") or {}
    return dict(config) if isinstance(config, dict) else {}


def node_level(level: str) -> str:
    """``level`` as a workflow node run's log takes it (``WARNING``: ``WARN``)."""
    level = level.upper()
    return NODE_LEVELS.get(level, level if level in ("INFO", "WARN", "ERROR", "DEBUG") else "INFO")


def label_field(label: str | None, *, node: bool = False) -> dict[str, Any]:
    """The PATCH field that sets a run's status label as Port takes it: an action run's a
    string, a node run's ``{"text": ...}``; nothing without a label."""
    if not label:
        return {}
    return {"statusLabel": {"text": label} if node else label}


def started_node_patch(
    link: str | None, external_id: str | None, output: dict[str, Any] | None
) -> dict[str, Any]:
    """The PATCH that hands a node run to an external run (the original's: still
    ``IN_PROGRESS``, its output the link and ``output``, its links the link)."""
    patch: dict[str, Any] = {"status": IN_PROGRESS}
    if external_id:
        patch["externalRunId"] = external_id
    patch["output"] = ({"workflowRunUrl": link} if link else {}) | (output or {})
    if link:
        patch["links"] = [link]
    return patch
