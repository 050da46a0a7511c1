"""What ``/metrics`` serves, through ``prometheus_client``, from the reports of finished
resyncs and the live events handled.

Two families of names share one registry:

- the original port-ocean's (its users have dashboards on them), gauges holding the
  latest resync's values: ``duration_seconds{kind,phase}``, ``object_count{kind,phase,
  object_count_type}`` and ``success{kind,phase}``, where ``kind`` is ``<kind>-<index>``
  for a resource of the mapping and ``__resync__`` for the resync as a whole; a full
  resync is also shown as the original shows it, ``__runtime__`` for the run
  (``success``, ``duration_seconds``) and ``__reconciliation__`` for its stale deletion
  (``success``, ``object_count{phase="delete",object_count_type="deleted"}``);
- Ocean's own, totals over the process's life: ``ocean_items_total``,
  ``ocean_phase_seconds_total``, ``ocean_resyncs_total``, ``ocean_resync_status``,
  ``ocean_last_successful_resync_timestamp_seconds``, ``ocean_live_events_total`` and the
  ``ocean_live_event_seconds`` histogram; plus the process collector's ``process_*``
  (CPU, memory, open files) and the platform's ``python_info``.

Nothing is kept at module level: each :class:`Metrics` holds the ``CollectorRegistry`` it
is given, so two apps in one process never mix their samples.
"""

from __future__ import annotations

import time
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    PlatformCollector,
    ProcessCollector,
)
from prometheus_client.exposition import choose_encoder

from ocean.monitor.report import (
    COUNTS,
    ORIGINAL_OBJECT_COUNTS,
    KindReport,
    ResyncReport,
    tell_stopped,
)

if TYPE_CHECKING:
    from ocean.job import Observer

_PHASES = ("extract", "transform", "load")
_LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
_STATUSES = ("running", "completed", "failed", "aborted")
RESYNC_KIND = "__resync__"
"""Ocean's ``kind`` label for the resync as a whole (full or incremental)."""
RUNTIME_KIND = "__runtime__"
"""The original's ``kind`` label for a full resync as a whole (its ``success`` and
``duration_seconds`` in the ``resync`` phase)."""
RECONCILIATION_KIND = "__reconciliation__"
"""The original's ``kind`` label for a full resync's stale deletion (its ``success`` and
``object_count`` of ``delete``/``deleted``)."""


class _Original:
    """The original port-ocean's gauges, set from each finished resync."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.duration = Gauge(
            "duration_seconds", "Seconds per kind and phase", ["kind", "phase"], registry=registry
        )
        self.objects = Gauge(
            "object_count",
            "Objects per kind, phase and result in the latest resync",
            ["kind", "phase", "object_count_type"],
            registry=registry,
        )
        self.success = Gauge(
            "success", "1 when the kind's latest resync succeeded", ["kind", "phase"],
            registry=registry,
        )  # fmt: skip

    def started(self) -> None:
        # (__runtime__ is a full resync's: an incremental sync, which never sets it at its
        # end, must not leave it 0)
        self.success.labels(RESYNC_KIND, "resync").set(0)

    def finished(self, report: ResyncReport) -> None:
        for kind in report.kinds:
            label = f"{kind.kind}-{kind.index}"
            for phase, kind_type, names in ORIGINAL_OBJECT_COUNTS:
                value = sum(int(getattr(kind, name)) for name in names)
                self.objects.labels(label, phase, kind_type).set(value)
            for phase in _PHASES:
                self.duration.labels(label, phase).set(float(getattr(kind, f"{phase}_seconds")))
            total = kind.extract_seconds + kind.transform_seconds + kind.load_seconds
            self.duration.labels(label, "resync").set(total)
            self.success.labels(label, "resync").set(int(kind.status == "completed"))
        wholes = (RESYNC_KIND,) if report.mode == "incremental" else (RESYNC_KIND, RUNTIME_KIND)
        for whole in wholes:
            self.success.labels(whole, "resync").set(int(report.status == "completed"))
            self.duration.labels(whole, "resync").set(_seconds(report))
        self.objects.labels(RESYNC_KIND, "delete", "deleted").set(report.deleted)
        if report.mode != "incremental":  # (the original reconciles full resyncs only)
            succeeded = int(report.status == "completed")
            self.success.labels(RECONCILIATION_KIND, "resync").set(succeeded)
            self.objects.labels(RECONCILIATION_KIND, "delete", "deleted").set(report.deleted)


class _Own:
    """Ocean's metrics: totals since the process started."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.items = Counter(
            "ocean_items", "Items and entities per kind and outcome, over all resyncs",
            ["kind", "phase"], registry=registry,
        )  # fmt: skip
        self.seconds = Counter(
            "ocean_phase_seconds", "Seconds spent per kind and phase", ["kind", "phase"],
            registry=registry,
        )  # fmt: skip
        self.resyncs = Counter(
            "ocean_resyncs", "Finished resyncs by status", ["status"], registry=registry
        )
        self.status = Gauge(
            "ocean_resync_status", "1 for the status of the latest resync", ["status"],
            registry=registry,
        )  # fmt: skip
        self.last_success = Gauge(
            "ocean_last_successful_resync_timestamp_seconds",
            "When the latest completed resync ended (Unix time; 0: none yet)",
            registry=registry,
        )
        for status in _STATUSES[1:]:
            self.resyncs.labels(status)

    def show(self, status: str) -> None:
        for name in _STATUSES:
            self.status.labels(name).set(int(name == status))

    def finished(self, report: ResyncReport) -> None:
        self.resyncs.labels(report.status).inc()
        for kind in report.kinds:
            self._add(kind)
        if report.status == "completed":
            self.last_success.set(_ended(report))

    def _add(self, kind: KindReport) -> None:
        for name in COUNTS:
            self.items.labels(kind.kind, name).inc(int(getattr(kind, name)))
        for phase in _PHASES:
            self.seconds.labels(kind.kind, phase).inc(float(getattr(kind, f"{phase}_seconds")))


class CountsEvents(Protocol):
    """Where the live-event route counts what became of each event: the process's
    :class:`Metrics`, or an acceptor's tally that it tells the sail
    (:class:`ocean.live.told.EventTally`)."""

    def event(self, path: str, outcome: str) -> None: ...


class Metrics:
    """Everything ``/metrics`` shows, in the registry it is given, the latest resync's
    status, and whether the process serves (which ``/ready`` reads)."""

    def __init__(self, registry: CollectorRegistry, *, process: bool = True) -> None:
        self.registry = registry
        self.status = "idle"
        self.serving = False
        """Set once the sail serves (its catalog open): ``/ready`` answers 200 from then,
        whether or not its listener ever resyncs (WEBHOOKS_ONLY, ACTIONS_ONLY do not)."""
        self._original = _Original(registry)
        self._own = _Own(registry)
        self._own.show(self.status)
        self._events = Counter(
            "ocean_live_events", "Live events per path and outcome", ["path", "outcome"],
            registry=registry,
        )  # fmt: skip
        self._counters: dict[tuple[str, str], Counter] = {}
        """``_events`` per path and outcome (paths are templates: a handful)."""
        self._latency = Histogram(
            "ocean_live_event_seconds", "From accepted to applied", buckets=_LATENCY_BUCKETS,
            registry=registry,
        )  # fmt: skip
        if process:
            ProcessCollector(registry=registry)
            PlatformCollector(registry=registry)

    def event(self, path: str, outcome: str) -> None:
        self.add_events(path, outcome, 1)

    def add_events(self, path: str, outcome: str, count: int) -> None:
        """``count`` events (more than one: counted elsewhere, by an acceptor process)."""
        counter = self._counters.get((path, outcome))
        if counter is None:  # labels() takes a lock and checks its values at every call
            counter = self._counters[path, outcome] = self._events.labels(path, outcome)
        counter.inc(count)

    def event_applied(self, path: str, seconds: float) -> None:
        """An event was applied ``seconds`` after the route accepted it."""
        self.event(path, "applied")
        self._latency.observe(seconds)

    def serve(self) -> None:
        """The sail serves: ready, with no resync shown running until one starts."""
        self.serving = True

    def started(self) -> None:
        """A resync started (a process that resyncs serves)."""
        self.serving = True
        self.status = "running"
        self._own.show(self.status)
        self._original.started()

    def finished(self, report: ResyncReport) -> None:
        self.status = report.status
        self._own.show(self.status)
        self._own.finished(report)
        self._original.finished(report)

    def render(self, accept: str = "") -> tuple[bytes, str]:
        """The exposition the ``Accept`` header asks for (OpenMetrics or the Prometheus
        text format) and its content type."""
        encode, content_type = choose_encoder(accept)
        return encode(self.registry), content_type


class ShowsRunning:
    """An observer that shows a resync running in ``metrics`` from its first kind's start,
    and ended when it raised (its report given to :meth:`resync_stopped`; one that returns
    is shown by whoever gets its report), and passes each call on to ``inner`` (the sail's
    progress)."""

    def __init__(self, inner: Observer, metrics: Metrics) -> None:
        self._inner = inner
        self._metrics = metrics

    def kind_started(self, kind: KindReport) -> None:
        if self._metrics.status != "running":
            self._metrics.started()
        self._inner.kind_started(kind)

    def batch_done(self, kind: KindReport) -> None:
        self._inner.batch_done(kind)

    def kind_finished(self, kind: KindReport) -> None:
        self._inner.kind_finished(kind)

    def resync_stopped(self, report: ResyncReport) -> None:
        """A resync raised (failed, aborted): shown ended as its report says (the listener
        gets no report to show then), rather than running until the next one ends."""
        self._metrics.finished(report)
        tell_stopped(self._inner, report)


def _moment(text: str | None) -> float | None:
    try:
        return datetime.fromisoformat(text or "").timestamp()
    except ValueError:
        return None


def _ended(report: ResyncReport) -> float:
    ended = _moment(report.ended_at)
    return time.time() if ended is None else ended


def _seconds(report: ResyncReport) -> float:
    started, ended = _moment(report.started_at), _moment(report.ended_at)
    return 0.0 if started is None or ended is None else max(0.0, ended - started)
