"""The integrations pages: each integration's resync history (per-kind counts, durations,
errors, misconfigured fields), "resync now", and its live-event dead letters with "retry"."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from ocean.errors import ForbiddenError, OceanError
from ocean.live.open import open_queue
from ocean.live.queue import QueuedEvent
from ocean.server.ui.core import Ui, Viewer, form_of, segment
from ocean.store.base import RunRecord
from ocean.store.catalog_url import sqlite_path

_RUNS = 500


@dataclass
class DeadLetters:
    """An integration's dead letters, or why they could not be read."""

    url: str | None
    events: list[QueuedEvent] = field(default_factory=list)
    problem: str | None = None


class RunPages:
    def __init__(self, ui: Ui) -> None:
        self.ui = ui

    async def index(self, request: Request, viewer: Viewer) -> Response:
        latest: dict[str, RunRecord | None] = {}
        for integration in await self.ui.store.run_integrations():
            last = await self.ui.store.list_runs(1, integration)
            latest[integration] = last[0] if last else None
        return self.ui.render(
            request, "integrations.html", viewer=viewer, latest=latest, title="Integrations"
        )

    async def detail(self, request: Request, viewer: Viewer) -> Response:
        identifier = request.path_params["id"]
        runs = await self.ui.store.list_runs(_RUNS, identifier)
        dead = await self.dead_letters(identifier)
        return self.ui.render(
            request, "integration.html", viewer=viewer, identifier=identifier,
            runs=[summary(r) for r in runs], dead=dead,
            requested=await self.ui.store.resync_requested_at(identifier),
            may_act=viewer.may_act_for(identifier), title=f"Integration {identifier}",
        )  # fmt: skip

    async def resync(self, request: Request, viewer: Viewer) -> Response:
        identifier = _acting(request, viewer)
        stamp = await self.ui.store.request_resync(identifier)
        viewer.session.flash = f"Resync of {identifier} requested at {stamp}."
        return RedirectResponse(f"/ui/integrations/{segment(identifier)}", status_code=303)

    async def retry(self, request: Request, viewer: Viewer) -> Response:
        identifier = _acting(request, viewer)
        ids = (await form_of(request)).get("id") or None
        url = self.ui.queue_of(identifier) if self.ui.queue_of else None
        if url is None:
            raise ForbiddenError("this server knows no live-event queue to retry from")
        try:
            queue = await open_queue(url, identifier)
            try:
                count = await queue.revive(ids)
            finally:
                await queue.close()
        except Exception as problem:  # as on the page: said, not raised
            viewer.session.flash = _unreachable(problem)
        else:
            viewer.session.flash = f"{count} event(s) queued again for {identifier}."
        return RedirectResponse(
            f"/ui/integrations/{segment(identifier)}#dead-letters", status_code=303
        )

    async def dead_letters(self, identifier: str) -> DeadLetters:
        """The dead letters of ``identifier``'s queue, or why they cannot be read here."""
        url = self.ui.queue_of(identifier) if self.ui.queue_of else None
        if url is None:
            return DeadLetters(None, problem="this server was not told where live events queue")
        path = sqlite_path(url)
        if path is not None and not path.exists():
            return DeadLetters(url, problem=f"no live-event queue at {path} (no event received)")
        try:
            queue = await open_queue(url, identifier)
            try:
                return DeadLetters(url, await queue.dead())
            finally:
                await queue.close()
        except Exception as problem:  # redis, a locked file, a bad URL: shown, not raised
            return DeadLetters(url, problem=_unreachable(problem))


def _unreachable(problem: Exception) -> str:
    """Why a queue could not be read, once (Ocean's own errors already say it)."""
    if isinstance(problem, OceanError):
        return str(problem)
    return f"cannot reach the live-event queue: {type(problem).__name__}: {problem}"


def _acting(request: Request, viewer: Viewer) -> str:
    identifier = str(request.path_params["id"])
    if not viewer.may_act_for(identifier):
        raise ForbiddenError(f"{viewer.principal} may not act for the integration {identifier!r}")
    return identifier


def summary(run: RunRecord) -> dict[str, Any]:
    """What the page shows of a run: its kinds with counts and seconds, errors, notes."""
    kinds = run.report.get("kinds") or []
    errors = list(run.report.get("errors") or [])
    for kind in kinds:
        errors += [f"{kind.get('kind')}: {e}" for e in kind.get("errors") or []]
    seconds = sum(
        float(k.get(n) or 0)
        for k in kinds
        for n in ("extract_seconds", "transform_seconds", "load_seconds")
    )
    return {
        "run": run,
        "kinds": kinds,
        "errors": errors,
        "seconds": seconds,
        "deleted": run.report.get("deleted", 0),
        "notes": list(run.report.get("deletion_notes") or [])
        + list(run.report.get("blueprint_notes") or []),
    }
