"""The resync report: per-kind counts and durations, and the run's outcome."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field, fields, is_dataclass
from typing import Any

_log = logging.getLogger(__name__)

COUNTS = (
    "extracted",
    "mapped",
    "filtered_out",
    "skipped",
    "created",
    "updated",
    "unchanged",
    "deleted",
    "failed",
)
"""The per-kind counts, in the order the summary shows them."""

ORIGINAL_OBJECT_COUNTS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("extract", "raw_extracted", ("extracted",)),
    ("transform", "transformed", ("mapped",)),
    ("transform", "filtered_out", ("filtered_out",)),
    ("transform", "failed", ()),
    ("load", "loaded", ("created", "updated")),
    ("load", "skipped", ("unchanged", "skipped")),
    ("load", "failed", ("failed",)),
    ("delete", "deleted", ("deleted",)),
)
"""The original's ``object_count`` types per phase, and the counts of a :class:`KindReport`
each sums (what ``/metrics`` shows and what Port's sync metrics get). Ocean counts an item
that failed in any phase once, under ``load``/``failed``."""


@dataclass
class KindReport:
    """One resource block of the mapping, as the resync handled it."""

    kind: str
    index: int
    extracted: int = 0
    mapped: int = 0
    filtered_out: int = 0
    skipped: int = 0
    dropped: int = 0
    """Raw items itemsToParse dropped because its expression did not give a list."""
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    deleted: int = 0
    failed: int = 0
    unchanged_pages: int = 0
    """Raw pages skipped as synced cleanly last time and unchanged since."""
    extract_seconds: float = 0.0
    transform_seconds: float = 0.0
    load_seconds: float = 0.0
    status: str = "pending"
    errors: list[str] = field(default_factory=list)
    misconfigurations: dict[str, str] = field(default_factory=dict)
    """Fields that came out null on some item: path -> JQ text."""
    required_misconfigured: list[str] = field(default_factory=list)
    """Those of them the blueprint marks required (errors rather than warnings)."""
    undefined: list[str] = field(default_factory=list)
    """Mapped properties and relations a blueprint it wrote does not define, as
    ``properties.prNumber (githubPullRequest)``: the catalog drops them."""
    cursor_from: str | None = None
    """In an incremental run: the cursor the kind fetched changes since."""
    cursor: str | None = None
    """In an incremental run: the cursor it ended on (advanced only when it completed)."""
    blueprints: list[str] = field(default_factory=list)
    """The blueprints its entities went to (or its mapping names)."""
    shape: str | None = None
    """A digest of its block's kind, selector and mapping (:func:`ocean.load.shrinkage.shape_of`)."""
    baseline: int | None = None
    """What the next full resync weighs this kind's entities against
    (:mod:`ocean.load.shrinkage`): the entities it produced, or, when that shrank past the
    threshold, what it was weighed against."""

    raised: dict[str, BaseException] = field(
        default_factory=dict, repr=False, compare=False, metadata={"transient": True}
    )
    """The exception behind an error message, where one was raised (a handler's own, for
    callers that want it as it was, e.g. the integration-test harness); not recorded."""

    def fail(self, message: str, raised: BaseException | None = None) -> None:
        self.status = "failed"
        self.errors.append(message)
        if raised is not None:
            self.raised[message] = raised


@dataclass
class ResyncReport:
    """The outcome of one resync: ``completed`` only if every kind succeeded."""

    integration: str
    trigger: str
    started_at: str
    ended_at: str | None = None
    status: str = "running"
    mode: str = "full"
    """``full`` (every kind fetched whole, stale entities deleted) or ``incremental``."""
    kinds: list[KindReport] = field(default_factory=list)
    deleted: int = 0
    deleted_by_cascade: int = 0
    """Of ``deleted``, entities that were not stale themselves but related to a deleted one
    (``deleteDependentEntities``)."""
    deletion_notes: list[str] = field(default_factory=list)
    """Why stale entities were kept, or what a cascade took: one sentence each."""
    errors: list[str] = field(default_factory=list)
    created_blueprints: list[str] = field(default_factory=list)
    blueprint_notes: list[str] = field(default_factory=list)
    """Blueprint changes of ``blueprints.json`` not applied (unsafe), with the command that
    applies them."""

    def total(self, name: str) -> int:
        return sum(int(getattr(kind, name)) for kind in self.kinds)

    def redact(self, mask: Callable[[str], str]) -> None:
        """Pass every error through ``mask`` (sensitive values out), in place."""
        self.errors[:] = map(mask, self.errors)
        for kind in self.kinds:
            kind.errors[:] = map(mask, kind.errors)
            kind.raised = {mask(message): error for message, error in kind.raised.items()}

    def to_dict(self) -> dict[str, Any]:
        """The report as JSON values (what the catalog records), without transient fields."""
        plain = _plain(self)
        assert isinstance(plain, dict)
        return plain


def _plain(value: Any) -> Any:
    """``dataclasses.asdict`` without the fields marked ``transient`` (never copied)."""
    if is_dataclass(value) and not isinstance(value, type):
        return {
            f.name: _plain(getattr(value, f.name))
            for f in fields(value)
            if not f.metadata.get("transient")
        }
    if isinstance(value, list | tuple):
        return type(value)(_plain(item) for item in value)
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    return value


def tell_stopped(observer: object, report: ResyncReport) -> None:
    """Give the report of a resync that raised (its caller never gets it) to ``observer``
    when it takes one (``resync_stopped``: the sail's ``/metrics``, which shows it ended)."""
    stopped = getattr(observer, "resync_stopped", None)
    if callable(stopped):
        try:
            stopped(report)
        except Exception:  # what shows the run must not change how it ended
            _log.exception("showing the stopped resync's end failed")
