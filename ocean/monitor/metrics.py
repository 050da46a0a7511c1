"""Resync metrics in the Prometheus text format, from the reports of finished resyncs."""

from __future__ import annotations

from dataclasses import dataclass, field

from ocean.monitor.report import COUNTS, KindReport, ResyncReport

_PHASES = ("extract", "transform", "load")
_STATUSES = ("running", "completed", "failed", "aborted")


@dataclass
class Metrics:
    """What ``/metrics`` shows: totals per kind and phase, and the latest resync's status."""

    counts: dict[tuple[str, str], int] = field(default_factory=dict)
    seconds: dict[tuple[str, str], float] = field(default_factory=dict)
    resyncs: dict[str, int] = field(default_factory=dict)
    status: str = "idle"

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
        return "\n".join(lines) + "\n"
