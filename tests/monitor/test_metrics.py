"""``/metrics`` through prometheus_client: the original port-ocean's names beside Ocean's,
each Metrics in the registry it is given."""

from __future__ import annotations

import pytest
from prometheus_client import CollectorRegistry
from prometheus_client.parser import text_string_to_metric_families

from ocean.job import SilentObserver
from ocean.monitor.metrics import Metrics, ShowsRunning
from ocean.monitor.report import KindReport, ResyncReport


def _report(status: str = "completed") -> ResyncReport:
    kind = KindReport(kind="service", index=0, extracted=5, mapped=4, filtered_out=1,
                      created=2, updated=1, unchanged=1, failed=0, deleted=3,
                      extract_seconds=0.5, transform_seconds=0.25, load_seconds=0.25,
                      status="completed" if status == "completed" else "failed")  # fmt: skip
    return ResyncReport(integration="demo", trigger="start", status=status, kinds=[kind],
                        started_at="2024-05-01T10:00:00.000Z", ended_at="2024-05-01T10:00:02.500Z",
                        deleted=3)  # fmt: skip


def _samples(metrics: Metrics) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    body, _ = metrics.render()
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(body.decode())
        for sample in family.samples
    }


def _value(metrics: Metrics, name: str, **labels: str) -> float | None:
    return _samples(metrics).get((name, tuple(sorted(labels.items()))))


@pytest.mark.parametrize(
    ("name", "labels", "value"),
    [
        ("object_count", {"kind": "service-0", "phase": "extract", "object_count_type": "raw_extracted"}, 5),
        ("object_count", {"kind": "service-0", "phase": "transform", "object_count_type": "transformed"}, 4),
        ("object_count", {"kind": "service-0", "phase": "transform", "object_count_type": "filtered_out"}, 1),
        ("object_count", {"kind": "service-0", "phase": "load", "object_count_type": "loaded"}, 3),
        ("object_count", {"kind": "service-0", "phase": "load", "object_count_type": "skipped"}, 1),
        ("object_count", {"kind": "service-0", "phase": "load", "object_count_type": "failed"}, 0),
        ("object_count", {"kind": "__resync__", "phase": "delete", "object_count_type": "deleted"}, 3),
        ("duration_seconds", {"kind": "service-0", "phase": "extract"}, 0.5),
        ("duration_seconds", {"kind": "service-0", "phase": "resync"}, 1.0),
        ("duration_seconds", {"kind": "__resync__", "phase": "resync"}, 2.5),
        ("success", {"kind": "service-0", "phase": "resync"}, 1),
        ("success", {"kind": "__resync__", "phase": "resync"}, 1),
        ("ocean_items_total", {"kind": "service", "phase": "created"}, 2),
        ("ocean_phase_seconds_total", {"kind": "service", "phase": "load"}, 0.25),
        ("ocean_resyncs_total", {"status": "completed"}, 1),
        ("ocean_resyncs_total", {"status": "failed"}, 0),
        ("ocean_resync_status", {"status": "completed"}, 1),
        ("ocean_resync_status", {"status": "running"}, 0),
        ("ocean_last_successful_resync_timestamp_seconds", {}, 1714557602.5),
    ],
)  # fmt: skip
def test_a_finished_resync_is_shown_under_the_original_s_names_and_ocean_s(
    name: str, labels: dict[str, str], value: float
) -> None:
    metrics = Metrics(CollectorRegistry(), process=False)
    metrics.started()
    metrics.finished(_report())
    assert _value(metrics, name, **labels) == pytest.approx(value)


def test_a_failed_resync_keeps_the_last_successful_timestamp_and_clears_success() -> None:
    metrics = Metrics(CollectorRegistry(), process=False)
    metrics.finished(_report("completed"))
    metrics.started()
    assert _value(metrics, "success", kind="__resync__", phase="resync") == 0
    metrics.finished(_report("failed"))
    assert _value(metrics, "success", kind="__resync__", phase="resync") == 0
    assert _value(metrics, "ocean_last_successful_resync_timestamp_seconds") == 1714557602.5
    assert _value(metrics, "ocean_resyncs_total", status="failed") == 1
    assert _value(metrics, "ocean_items_total", kind="service", phase="created") == 4


def test_before_any_resync_nothing_succeeded_yet() -> None:
    metrics = Metrics(CollectorRegistry(), process=False)
    assert metrics.status == "idle"
    assert _value(metrics, "ocean_last_successful_resync_timestamp_seconds") == 0
    assert _value(metrics, "ocean_resyncs_total", status="completed") == 0


def test_two_apps_in_one_process_keep_their_own_samples() -> None:
    first, second = Metrics(CollectorRegistry()), Metrics(CollectorRegistry())
    first.finished(_report())
    first.event_applied("/push", 0.02)
    assert _value(first, "ocean_resyncs_total", status="completed") == 1
    assert _value(second, "ocean_resyncs_total", status="completed") == 0
    assert _value(first, "ocean_live_events_total", path="/push", outcome="applied") == 1
    assert _value(second, "ocean_live_events_total", path="/push", outcome="applied") is None


def test_process_metrics_are_served_unless_turned_off() -> None:
    names = {name for name, _ in _samples(Metrics(CollectorRegistry()))}
    assert {"process_resident_memory_bytes", "process_cpu_seconds_total", "python_info"} <= names
    assert not any(
        n.startswith("process_") for n, _ in _samples(Metrics(CollectorRegistry(), process=False))
    )


@pytest.mark.parametrize(
    ("accept", "content_type", "ends_with"),
    [
        ("", "text/plain; version=0.0.4; charset=utf-8", b"\n"),
        ("application/openmetrics-text; version=1.0.0", "application/openmetrics-text", b"# EOF\n"),
    ],
)
def test_the_exposition_follows_the_accept_header(
    accept: str, content_type: str, ends_with: bytes
) -> None:
    body, served_as = Metrics(CollectorRegistry(), process=False).render(accept)
    assert served_as.startswith(content_type)
    assert body.endswith(ends_with)


def test_a_serving_process_is_ready_with_no_resync_shown_running() -> None:
    metrics = Metrics(CollectorRegistry(), process=False)
    assert not metrics.serving
    metrics.serve()
    assert metrics.serving and metrics.status == "idle"
    assert _value(metrics, "ocean_resync_status", status="running") == 0


def test_each_resync_shows_running_from_its_first_kind_until_its_report() -> None:
    metrics = Metrics(CollectorRegistry(), process=False)
    observer, kind = ShowsRunning(SilentObserver(), metrics), _report().kinds[0]
    for _ in range(2):  # the second resync too, after the first one's report
        observer.kind_started(kind)
        assert _value(metrics, "ocean_resync_status", status="running") == 1
        observer.kind_finished(kind)
        observer.kind_started(kind)  # the next kind: still running, not started again
        metrics.finished(_report())
        assert _value(metrics, "ocean_resync_status", status="running") == 0
        assert _value(metrics, "ocean_resync_status", status="completed") == 1


def test_an_incremental_sync_leaves_the_full_resyncs_runtime_success() -> None:
    """``__runtime__`` is a full resync's (the original's): an incremental sync, which
    never sets it at its end, must not leave it 0 from its start."""
    metrics = Metrics(CollectorRegistry(), process=False)
    metrics.started()
    metrics.finished(_report())
    incremental = _report()
    incremental.mode = "incremental"
    metrics.started()  # (ShowsRunning, at the incremental sync's first kind)
    metrics.finished(incremental)

    assert _value(metrics, "success", kind="__runtime__", phase="resync") == 1
