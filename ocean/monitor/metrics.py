"""Resync metrics in the Prometheus text format, from the reports of finished resyncs."""

from __future__ import annotations

from dataclasses import dataclass, field

from ocean.monitor.report import COUNTS, KindReport, ResyncReport

_PHASES = ("extract", "transform", "load")
_LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
_STATUSES = ("running", "completed", "failed", "aborted")


@dataclass
class Metrics:
    """What ``/metrics`` shows: totals per kind and phase, and the latest resync's status."""

    counts: dict[tuple[str, str], int] = field(default_factory=dict)
    seconds: dict[tuple[str, str], float] = field(default_factory=dict)
    resyncs: dict[str, int] = field(default_factory=dict)
    status: str = "idle"
    events: dict[tuple[str, str], int] = field(default_factory=dict)
    """Live events per path and outcome (queued, ignored, rejected-4xx, applied, dead)."""
    latency: list[int] = field(default_factory=lambda: [0] * (len(_LATENCY_BUCKETS) + 1))
    latency_sum: float = 0.0

    def event(self, path: str, outcome: str) -> None:
        key = (path, outcome)
        self.events[key] = self.events.get(key, 0) + 1

    def event_applied(self, path: str, seconds: float) -> None:
        """An event was applied ``seconds`` after the route accepted it."""
        self.event(path, "applied")
        self.latency_sum += seconds
        slot = next((i for i, le in enumerate(_LATENCY_BUCKETS) if seconds <= le), -1)
        self.latency[slot] += 1

    def started(self) -> None:
        self.status = "running"

    def finished(self, report: ResyncReport) -> None:
        self.status = report.status
        self.resyncs[report.status] = self.resyncs.get(report.status, 0) + 1
        for kind in report.kinds:
            self._add(kind)

    def _add(self, kind: KindReport) -> None:
        for name in COUNTS:
            key = (kind.kind, name)
            self.counts[key] = self.counts.get(key, 0) + int(getattr(kind, name))
        for phase in _PHASES:
            key = (kind.kind, phase)
            self.seconds[key] = self.seconds.get(key, 0.0) + float(
                getattr(kind, f"{phase}_seconds")
            )

    def render(self) -> str:
        lines = [
            "# HELP ocean_items_total Items and entities per kind and outcome, over all resyncs.",
            "# TYPE ocean_items_total counter",
            *(
                f'ocean_items_total{{kind="{k}",phase="{p}"}} {v}'
                for (k, p), v in sorted(self.counts.items())
            ),
            "# HELP ocean_phase_seconds_total Seconds spent per kind and phase.",
            "# TYPE ocean_phase_seconds_total counter",
            *(
                f'ocean_phase_seconds_total{{kind="{k}",phase="{p}"}} {v:.6f}'
                for (k, p), v in sorted(self.seconds.items())
            ),
            "# HELP ocean_resyncs_total Finished resyncs by status.",
            "# TYPE ocean_resyncs_total counter",
            *(
                f'ocean_resyncs_total{{status="{s}"}} {self.resyncs.get(s, 0)}'
                for s in _STATUSES[1:]
            ),
            "# HELP ocean_resync_status 1 for the status of the latest resync.",
            "# TYPE ocean_resync_status gauge",
            *(f'ocean_resync_status{{status="{s}"}} {int(self.status == s)}' for s in _STATUSES),
        ]
        return "\n".join(lines + self._live_lines()) + "\n"

    def _live_lines(self) -> list[str]:
        cumulative, buckets = 0, []
        for le, count in zip((*_LATENCY_BUCKETS, "+Inf"), self.latency, strict=True):
            cumulative += count
            buckets.append(f'ocean_live_event_seconds_bucket{{le="{le}"}} {cumulative}')
        return [
            "# HELP ocean_live_events_total Live events per path and outcome.",
            "# TYPE ocean_live_events_total counter",
            *(
                f'ocean_live_events_total{{path="{p}",outcome="{o}"}} {v}'
                for (p, o), v in sorted(self.events.items())
            ),
            "# HELP ocean_live_event_seconds From accepted to applied.",
            "# TYPE ocean_live_event_seconds histogram",
            *buckets,
            f"ocean_live_event_seconds_sum {self.latency_sum:.6f}",
            f"ocean_live_event_seconds_count {cumulative}",
        ]
