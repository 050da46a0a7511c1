"""An action run as executors see it (:class:`Run`), and how the catalog's run documents
change: Port's ``ActionRun`` shape (``id``, ``status``, ``action``, ``payload``, ``properties``,
``entity``, ``link``, ``externalRunId``, times), which every catalog stores whole."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ocean.errors import ActionError
from ocean.store.base import now_iso

if TYPE_CHECKING:
    from ocean.actions.catalog import ActionsCatalog

IN_PROGRESS, SUCCESS, FAILURE = "IN_PROGRESS", "SUCCESS", "FAILURE"
STATUSES = (IN_PROGRESS, SUCCESS, FAILURE)
PATCHABLE = ("status", "statusLabel", "link", "summary", "externalRunId")
"""The fields a run's PATCH may set, as Port's."""


@dataclass
class Run:
    """One run of an action, handed to :meth:`ocean.actions.Executor.perform`.

    ``properties`` are the execution properties (the action's
    ``integrationActionExecutionProperties`` rendered with the run's inputs and entity, or
    the inputs themselves); ``inputs`` what the user gave; ``entity`` the entity the action
    ran on (None: a global action). Report with :meth:`log`, :meth:`started` (a link and the
    id of the external run that will finish it, e.g. from a webhook) and :meth:`finish`."""

    id: str
    action: str
    action_type: str
    properties: dict[str, Any]
    inputs: dict[str, Any]
    entity: dict[str, Any] | None
    status: str
    external_run_id: str | None = None
    links: list[str] = field(default_factory=list)
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

    @property
    def in_progress(self) -> bool:
        return self.status == IN_PROGRESS

    def _catalog(self) -> ActionsCatalog:
        if self.catalog is None:
            raise ActionError(
                f"run {self.id} is not bound to a catalog; get it from the execution manager "
                "or from Integration.action_runs"
            )
        return self.catalog

    async def log(self, message: str, level: str = "INFO") -> None:
        """Add a line to the run's log (what ``ocean actions logs`` and Port show)."""
        await self._catalog().add_log(self.id, message, level=level)

    async def started(self, link: str | None = None, external_id: str | None = None) -> None:
        """Record where the run can be followed and the id of the external run that carries
        it on; with an ``external_id`` the run stays ``IN_PROGRESS`` after ``perform``
        returns, until :meth:`finish` (a webhook processor, say) ends it."""
        patch: dict[str, Any] = {}
        if link:
            patch["link"] = link
        if external_id:
            patch["externalRunId"] = external_id
        self._refresh(await self._catalog().patch_run(self.id, patch))

    async def finish(self, success: bool, message: str | None = None) -> None:
        """End the run ``SUCCESS`` or ``FAILURE``, after logging ``message`` if given."""
        if message:
            await self.log(message, "INFO" if success else "ERROR")
        self._refresh(
            await self._catalog().patch_run(self.id, {"status": SUCCESS if success else FAILURE})
        )

    def _refresh(self, body: dict[str, Any]) -> None:
        fresh = Run.of(body, self.catalog)
        self.status, self.external_run_id = fresh.status, fresh.external_run_id
        self.links, self.body = fresh.links, body


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
        """The newest run :meth:`Run.started` gave ``external_id``, if any."""
        found = await self.catalog.list_runs(external_run_id=external_id, limit=1)
        return Run.of(found[0], self.catalog) if found else None
