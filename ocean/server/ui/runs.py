"""The integrations pages: each integration's resync history (per-kind counts, durations,
errors, misconfigured fields), "resync now", and its live-event dead letters with "retry"."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from ocean.errors import ForbiddenError, OceanError
from ocean.live.open import open_queue
from ocean.live.queue import QueuedEvent
from ocean.masked_url import without_password
from ocean.monitor.report import COUNTS
from ocean.server.ui.core import Ui, Viewer, form_of, segment
from ocean.store.base import RunRecord
from ocean.store.catalog_url import sqlite_path
from ocean.store.writes import dumps

_RUNS = 500
_DEAD_SHOWN = 100


@dataclass
class DeadLetters:
    """An integration's dead letters, or why they could not be read (``url``: the queue's,
    its password left out: every signed-in viewer sees it)."""

    url: str | None
    events: list[QueuedEvent] = field(default_factory=list)
    problem: str | None = None
    total: int = 0
    """How many there are (the page shows the oldest :data:`_DEAD_SHOWN`)."""


class RunPages:
    def __init__(self, ui: Ui) -> None:
        self.ui = ui

    async def index(self, request: Request, viewer: Viewer) -> Response:
        latest: dict[str, RunRecord | None] = {}
        for integration in await self.ui.store.run_integrations():
            if not viewer.may_see(integration):
                continue
            last = await self.ui.store.list_runs(1, integration)
            latest[integration] = last[0] if last else None
        return self.ui.render(
            request, "integrations.html", viewer=viewer, latest=latest, title="Integrations"
        )

    async def detail(self, request: Request, viewer: Viewer) -> Response:
        identifier = request.path_params["id"]
        if not viewer.may_see(identifier):
            raise ForbiddenError(f"{viewer.principal} may not read the integration {identifier!r}")
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
            viewer.session.flash = _unreachable(problem, url)
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
        path, shown = sqlite_path(url), without_password(url)
        if path is not None and not path.exists():
            return DeadLetters(shown, problem=f"no live-event queue at {path} (no event received)")
        try:
            queue = await open_queue(url, identifier)
            try:
                events = await queue.dead(_DEAD_SHOWN)
                return DeadLetters(shown, events, total=await queue.dead_count())
            finally:
                await queue.close()
        except Exception as problem:  # redis, a locked file, a bad URL: shown, not raised
            return DeadLetters(shown, problem=_unreachable(problem, url))


def _unreachable(problem: Exception, url: str) -> str:
    """Why the queue at ``url`` could not be read, once (Ocean's own errors already say
    it), the URL's password left out wherever the error repeats it."""
    said = str(problem) if isinstance(problem, OceanError) else (
        f"cannot reach the live-event queue: {type(problem).__name__}: {problem}"
    )  # fmt: skip
    return said.replace(url, without_password(url))


def _acting(request: Request, viewer: Viewer) -> str:
    identifier = str(request.path_params["id"])
    if not viewer.may_act_for(identifier):
        raise ForbiddenError(f"{viewer.principal} may not act for the integration {identifier!r}")
    return identifier


def summary(run: RunRecord) -> dict[str, Any]:
    """What the page shows of a run: its kinds with counts and seconds, errors, notes. A
    report is shown as far as it can be read: a value of the wrong type (sent through
    the API before its shape was checked) is shown as ``?``, never a failed page."""
    report = run.report if isinstance(run.report, dict) else {}
    kinds = [_kind_shown(kind) for kind in _listed(report.get("kinds"))]
    errors = [str(error) for error in _listed(report.get("errors"))]
    for kind in kinds:
        errors += [f"{kind['kind']}: {error}" for error in kind["errors"]]
    notes = _listed(report.get("deletion_notes")) + _listed(report.get("blueprint_notes"))
    return {
        "run": run,
        "kinds": kinds,
        "errors": errors,
        "seconds": sum(s for kind in kinds for s in kind["seconds"] if s is not None),
        "deleted": _count(report.get("deleted")),
        "notes": [str(note) for note in notes],
    }


_SHOWN_COUNTS = ("extracted", "created", "updated", "unchanged", "deleted", "failed")
_SECONDS = ("extract_seconds", "transform_seconds", "load_seconds")


def _kind_shown(kind: Any) -> dict[str, Any]:
    """A kind's row: its counts (``?`` for one that is no number), its seconds (None:
    no number), its misconfigured fields as (path, JQ) pairs, its errors as texts."""
    if not isinstance(kind, dict):
        kind = {"kind": kind}
    misconfigured = kind.get("misconfigurations")
    pairs = (
        [(str(path), str(jq)) for path, jq in misconfigured.items()]
        if isinstance(misconfigured, dict)
        else [(str(path), "") for path in _listed(misconfigured)]
    )
    return {
        "kind": "" if kind.get("kind") is None else str(kind["kind"]),
        "status": "" if kind.get("status") is None else str(kind["status"]),
        "counts": [_count(kind.get(name)) for name in _SHOWN_COUNTS],
        "seconds": [_seconds(kind.get(name)) for name in _SECONDS],
        "misconfigurations": pairs,
        "required": [str(path) for path in _listed(kind.get("required_misconfigured"))],
        "errors": [str(error) for error in _listed(kind.get("errors"))],
    }


def _listed(value: Any) -> list[Any]:
    """A list field as a list: none is empty, a lone value a list of it."""
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _count(value: Any) -> Any:
    """A count as shown: 0 when absent, ``?`` when it is no number."""
    if value is None:
        return 0
    return value if _number(value) else "?"


def _seconds(value: Any) -> float | None:
    """Seconds as a float (0 when absent), None when they are no number."""
    if value is None:
        return 0.0
    return float(value) if _number(value) else None


def _number(value: Any) -> bool:
    """A JSON number a float holds (not a boolean, not past a float's range)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    try:
        return math.isfinite(value)
    except OverflowError:  # an integer past a float's range
        return False


# The shape of a run report as the catalog's readers read it (this page, `ocean catalog
# runs`, a resync weighing its last run): what the resync-state route takes.

_Check = tuple[Callable[[Any], bool], str]
_NUMBER: _Check = (_number, "a number")
_TEXT: _Check = (lambda v: isinstance(v, str), "a string")
_TEXTS: _Check = (
    lambda v: isinstance(v, list) and all(isinstance(i, str) for i in v),
    "a list of strings",
)
_WHOLE: _Check = (lambda v: _number(v) and isinstance(v, int), "a whole number")
_KIND: dict[str, _Check] = {
    "kind": _TEXT,
    "index": _WHOLE,
    "status": _TEXT,
    **dict.fromkeys((*COUNTS, "dropped", "unchanged_pages", *_SECONDS), _NUMBER),
    **dict.fromkeys(("errors", "required_misconfigured", "blueprints"), _TEXTS),
    "misconfigurations": (
        lambda v: isinstance(v, dict) and all(isinstance(i, str) for i in v.values()),
        "an object of strings (field path: JQ)",
    ),
    **dict.fromkeys(
        ("cursor_from", "cursor", "shape"),
        (lambda v: v is None or isinstance(v, str), "a string or null"),
    ),
    "baseline": (lambda v: v is None or _WHOLE[0](v), "a whole number or null"),
}
_REPORT: dict[str, _Check] = {
    "mode": _TEXT,
    "deleted": _NUMBER,
    "deleted_by_cascade": _NUMBER,
    **dict.fromkeys(("errors", "deletion_notes", "blueprint_notes", "created_blueprints"), _TEXTS),
}


def report_problem(report: dict[str, Any]) -> str | None:
    """Why ``report`` (a resync state sent to the API, kept as the run's report) is not
    one the catalog's readers can read: the field and what it must be; None when it is.
    Fields it does not name are kept as sent."""
    problem = _misfit(report, _REPORT, "")
    if problem is not None or "kinds" not in report:
        return problem
    kinds = report["kinds"]
    if not isinstance(kinds, list):
        return f"kinds must be a list of kind objects, got {dumps(kinds)[:60]}"
    for index, kind in enumerate(kinds):
        if not isinstance(kind, dict) or not isinstance(kind.get("kind"), str):
            return (
                f'kinds[{index}] must be an object naming its kind ({{"kind": "...", ...}}), '
                f"got {dumps(kind)[:60]}"
            )
        problem = _misfit(kind, _KIND, f"kinds[{index}].")
        if problem is not None:
            return problem
    return None


def _misfit(document: dict[str, Any], shape: dict[str, _Check], prefix: str) -> str | None:
    for name, (fits, what) in shape.items():
        if name in document and not fits(document[name]):
            return f"{prefix}{name} must be {what}, got {dumps(document[name])[:60]}"
    return None
