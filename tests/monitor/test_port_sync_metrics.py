"""Against a Port API whose integration record names ``metricAttributes.ingestUrl``, each
full resync reports its sync metrics there, as the original does: every kind at the start,
each kind as it starts and ends, the reconciliation and the run as a whole, and a heartbeat
while it runs. Nothing of it can fail a resync."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from pathlib import Path
from typing import Any

import pytest

from ocean.errors import MappingError
from ocean.job import SilentObserver
from ocean.listen.once import run_once
from ocean.monitor.port_sync_metrics import Identity, Sender, SyncMetrics
from ocean.monitor.report import ResyncReport
from ocean.sail import Sail, prepare
from ocean.version import __version__
from tests.conftest import TEAMS, Workspace, services
from tests.store.port.fake_port import FakePort, client, oceans_own_server

INTEGRATION = "my-integration-integration"
INGEST = "https://port.test/ingest/metrics"


def _workspace(tmp_path: Path, **data: Any) -> Workspace:
    workspace = Workspace(tmp_path)
    workspace.set_data(services=[services(3)], teams=TEAMS, **data)
    return workspace


def _prepared(workspace: Workspace, **environ: str) -> Sail:
    return prepare(workspace.folder, environ=workspace.environ | environ, overrides={})


def _port(ingest_url: str | None = INGEST) -> FakePort:
    port = FakePort()
    port.ingest_url = ingest_url
    return port


def _sent(port: FakePort) -> list[tuple[str, str, Any]]:
    """The sync-metrics calls, heartbeats left out, with their paths under the ingest URL."""
    return [
        (method, path.removeprefix("/ingest/metrics"), body)
        for method, path, body in port.metric_calls
        if not path.endswith("/heartbeat")
    ]


def _events(port: FakePort) -> list[tuple[str, dict[str, Any]]]:
    """Each metrics object sent, with the method that sent it, in order."""
    found = []
    for method, _path, body in _sent(port):
        objects = body["syncKindsMetrics"] if method == "POST" else [body["syncKindMetrics"]]
        found += [(method, event) for event in objects]
    return found


def _states(port: FakePort) -> list[tuple[str, str, str]]:
    return [(method, e["kindIdentifier"], e["syncState"]) for method, e in _events(port)]


def _counts(event: dict[str, Any]) -> dict[str, dict[str, float]]:
    phases = event["metrics"]["phase"]
    return {
        phase: {name: value["object_count"] for name, value in p["object_count_type"].items()}
        for phase, p in phases.items()
        if "object_count_type" in p
    }


def _last(port: FakePort, kind_identifier: str) -> dict[str, Any]:
    return [e for _, e in _events(port) if e["kindIdentifier"] == kind_identifier][-1]


async def test_a_resync_reports_every_kind_then_each_as_it_starts_and_ends(
    tmp_path: Path,
) -> None:
    port = _port()

    report = await run_once(_prepared(_workspace(tmp_path)), client(port), SilentObserver())

    assert report.status == "completed"
    assert _states(port) == [
        ("POST", "team-0", "pending"),
        ("POST", "service-1", "pending"),
        ("POST", "__runtime__", "syncing"),
        ("PUT", "team-0", "syncing"),
        ("PUT", "team-0", "completed"),
        ("PUT", "service-1", "syncing"),
        ("PUT", "service-1", "completed"),
        ("POST", "__reconciliation__", "syncing"),
        ("PUT", "__reconciliation__", "completed"),
        ("POST", "__runtime__", "completed"),
    ]


async def test_the_metrics_objects_carry_the_originals_fields_and_the_resyncs_id(
    tmp_path: Path,
) -> None:
    port = _port()
    prepared = _prepared(_workspace(tmp_path))

    await run_once(prepared, client(port), SilentObserver())

    start = _sent(port)[0]
    team = start[2]["syncKindsMetrics"][0]
    event_id = team["eventId"]
    assert start[:2] == ("POST", "/syncMetrics")
    assert team == {
        "integrationType": prepared.owner.integration_type,
        "installationType": "Unknown",  # the record names none
        "executionMode": "single_process",
        "integrationIdentifier": INTEGRATION,
        "integrationVersion": prepared.owner.version,
        "oceanVersion": __version__,
        "kindIdentifier": "team-0",
        "kind": "team",
        "kindIndex": 0,
        "eventId": event_id,
        "syncState": "pending",
        "blueprint": '"team"',
        "metrics": team["metrics"],
    }
    assert _counts(team) == {
        "extract": {"raw_extracted": 0.0},
        "transform": {"transformed": 0.0, "filtered_out": 0.0, "failed": 0.0},
        "load": {"loaded": 0.0, "skipped": 0.0, "failed": 0.0},
    }
    puts = {path for method, path, _ in _sent(port) if method == "PUT"}
    assert puts == {
        f"/syncMetrics/resync/{event_id}/kind/{kind}"
        for kind in ("team-0", "service-1", "__reconciliation__")
    }
    written = {p["ocean_info_resync_id"] for _, _, p in port.params if "ocean_info_resync_id" in p}
    assert written == {event_id}  # the id the resync's writes carry, as the original's


async def test_each_kind_ends_with_its_counts_and_the_reconciliation_with_the_deleted(
    tmp_path: Path,
) -> None:
    port = _port()
    workspace = _workspace(tmp_path)
    prepared = _prepared(workspace)
    await run_once(prepared, client(port), SilentObserver())
    workspace.set_data(services=[services(1)], teams=TEAMS)
    port.metric_calls.clear()

    await run_once(prepared, client(port), SilentObserver())

    service = _last(port, "service-1")
    assert _counts(service) == {
        "extract": {"raw_extracted": 1.0},
        "transform": {"transformed": 1.0, "filtered_out": 0.0, "failed": 0.0},
        "load": {"loaded": 0.0, "skipped": 1.0, "failed": 0.0},
    }
    assert service["metrics"]["phase"]["resync"]["success"] == 1.0
    assert service["metrics"]["phase"]["resync"]["duration_seconds"] > 0
    reconciliation = _last(port, "__reconciliation__")
    assert _counts(reconciliation) == {"delete": {"deleted": 2.0}}
    assert (reconciliation["kind"], reconciliation["kindIndex"]) == ("__reconciliation__", 0)
    runtime = _last(port, "__runtime__")
    assert runtime["metrics"]["phase"]["resync"]["success"] == 1.0


async def test_each_kind_ends_with_what_the_process_used_while_it_ran(tmp_path: Path) -> None:
    port = _port()

    await run_once(_prepared(_workspace(tmp_path)), client(port), SilentObserver())

    ends = [e for _, e in _events(port) if e["syncState"] == "completed"]
    team = next(e["metrics"] for e in ends if e["kindIdentifier"] == "team-0")
    stats = ("max", "median", "avg")
    assert {f"cpu_{stat}_percent" for stat in stats} <= set(team)
    assert {f"event_loop_latency_{stat}_ms" for stat in stats} <= set(team)
    assert team["memory_max_bytes"] > 1_000_000  # beside "phase", as the original's
    assert team["cpu_max_percent"] >= team["cpu_median_percent"] >= 0
    starts = [e["metrics"] for _, e in _events(port) if e["syncState"] in ("pending", "syncing")]
    assert all("cpu_max_percent" not in metrics for metrics in starts)
    runs = [e["metrics"] for _, e in _events(port) if e["kind"].startswith("__")]
    assert all("cpu_max_percent" not in metrics for metrics in runs)


async def test_a_resync_whose_mapping_cannot_be_used_reports_only_the_run_failed(
    tmp_path: Path,
) -> None:
    port = _port()
    prepared = _prepared(_workspace(tmp_path))
    await run_once(prepared, client(port), SilentObserver())
    port.integrations[INTEGRATION]["config"] = {}
    port.metric_calls.clear()

    with pytest.raises(MappingError):
        await run_once(prepared, client(port), SilentObserver())

    assert _states(port) == [("POST", "__runtime__", "failed")]
    runtime = _last(port, "__runtime__")
    assert runtime["metrics"]["phase"]["resync"]["success"] == 0.0
    assert runtime["eventId"]
    assert [call for call in port.metric_calls if call[1].endswith("/heartbeat")] == []


async def test_a_failing_kind_reports_failed_and_so_does_the_run(tmp_path: Path) -> None:
    port = _port()
    prepared = _prepared(_workspace(tmp_path, fail_service_after=0))

    report = await run_once(prepared, client(port), SilentObserver())

    assert report.status == "failed"
    final = {kind: state for method, kind, state in _states(port)}
    assert final == {
        "team-0": "completed",
        "service-1": "failed",
        "__reconciliation__": "failed",
        "__runtime__": "failed",
    }
    assert _last(port, "service-1")["metrics"]["phase"]["resync"]["success"] == 0.0


async def test_nothing_is_sent_when_the_record_names_no_ingest_url(tmp_path: Path) -> None:
    port = _port(ingest_url=None)

    report = await run_once(_prepared(_workspace(tmp_path)), client(port), SilentObserver())

    assert report.status == "completed"
    assert port.metric_calls == []
    assert not [call for call in port.calls if "syncMetrics" in call[1] or "heartbeat" in call[1]]


async def test_a_failing_metrics_endpoint_fails_nothing_and_is_logged_once(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    port = _port()
    port.failures["POST ingest"] = [(500, {})] * 50
    port.failures["PUT ingest"] = [(500, {})] * 50

    with caplog.at_level(logging.DEBUG, logger="ocean.monitor.port_sync_metrics"):
        report = await run_once(_prepared(_workspace(tmp_path)), client(port), SilentObserver())

    assert report.status == "completed"
    assert len(port.entities) == 5
    sent = [call for call in port.calls if call[1].startswith("/ingest/")]
    assert len(sent) == 9  # each sent once, the others still sent after a failure
    warnings = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warnings) == 1
    assert "500" in warnings[0].getMessage()


async def test_a_heartbeat_names_the_resync_while_it_runs_and_stops_with_it(
    tmp_path: Path,
) -> None:
    port = _port()
    every = {"OCEAN__STATUS_HEARTBEAT_INTERVAL_SECONDS": "0.01"}
    prepared = _prepared(_workspace(tmp_path, slow=0.1), **every)

    await run_once(prepared, client(port), SilentObserver())
    beats = [body for _, path, body in port.metric_calls if path == "/ingest/metrics/heartbeat"]
    await asyncio.sleep(0.05)

    event_id = _last(port, "__runtime__")["eventId"]
    assert len(beats) >= 3
    assert all(beat == {"eventId": event_id} for beat in beats)
    assert len([c for c in port.metric_calls if c[1].endswith("/heartbeat")]) == len(beats)


async def test_a_stopped_resync_reports_what_had_not_ended_aborted(tmp_path: Path) -> None:
    port = _port()
    prepared = _prepared(_workspace(tmp_path, slow=30))
    running = asyncio.create_task(run_once(prepared, client(port), SilentObserver()))
    async with asyncio.timeout(10):
        while ("PUT", "service-1", "syncing") not in _states(port):
            await asyncio.sleep(0.01)

    running.cancel()
    with pytest.raises(asyncio.CancelledError):
        await running

    assert _states(port)[-3:] == [
        ("PUT", "service-1", "aborted"),
        ("POST", "__reconciliation__", "aborted"),
        ("POST", "__runtime__", "aborted"),
    ]


async def test_oceans_own_server_names_an_ingest_url_and_is_sent_none(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    async with oceans_own_server(tmp_path) as (served, transport):
        with caplog.at_level(logging.WARNING):
            report = await run_once(_prepared(_workspace(tmp_path)), served, SilentObserver())

    assert report.status == "completed"
    assert not [call for call in transport.calls if call[1].startswith("/__ingest/")]
    assert not [r for r in caplog.records if r.name == "ocean.monitor.port_sync_metrics"]


class _Silent:
    """A Port whose ingest never answers."""

    def __init__(self) -> None:
        self.asked = 0

    async def ingest(self, method: str, url: str, body: Any) -> None:
        self.asked += 1
        await asyncio.sleep(3600)


async def test_an_endpoint_that_never_answers_holds_the_end_at_most_its_bound(
    caplog: pytest.LogCaptureFixture,
) -> None:
    silent = _Silent()
    sender = Sender(silent, INGEST, heartbeat_seconds=10, call_seconds=0.05)
    for _ in range(100):
        sender.send("PUT", "/syncMetrics", {})
    began = time.monotonic()

    with caplog.at_level(logging.DEBUG, logger="ocean.monitor.port_sync_metrics"):
        await sender.close(within=0.2)

    assert time.monotonic() - began < 1
    assert 2 <= silent.asked < 100  # each given its bound, the rest dropped
    warnings = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warnings) == 1
    assert "no answer within 0.05 s" in warnings[0]
    assert "dropped" in caplog.records[-1].getMessage()


async def test_a_mapping_without_resources_still_reports_the_reconciliation(
    tmp_path: Path,
) -> None:
    port = _port()
    workspace = _workspace(tmp_path)
    workspace.set_mapping({"resources": []})

    report = await run_once(_prepared(workspace), client(port), SilentObserver())

    assert report.status == "completed"
    assert _states(port)[-3:] == [
        ("POST", "__reconciliation__", "syncing"),
        ("PUT", "__reconciliation__", "completed"),
        ("POST", "__runtime__", "completed"),
    ]


class _Recorded:
    """A Port API's ingest that only records the paths called."""

    ocean = False

    def __init__(self) -> None:
        self.paths: list[str] = []

    async def ingest(self, method: str, url: str, body: Any) -> None:
        self.paths.append(url)


async def test_a_resync_cancelled_as_it_reports_its_end_still_stops_its_heartbeat() -> None:
    http = _Recorded()
    sender = Sender(http, INGEST, heartbeat_seconds=0.01)  # type: ignore[arg-type]
    metrics = SyncMetrics(sender, Identity("t", INTEGRATION, "1"), [], inner=SilentObserver(), resync_id=lambda: "run-1")  # fmt: skip

    async def run() -> ResyncReport:
        metrics.start()
        await asyncio.sleep(0.02)
        return ResyncReport(integration=INTEGRATION, trigger="manual", started_at="2024-01-01T00:00:00Z", status="completed")  # fmt: skip

    resync = asyncio.create_task(metrics.around(run()))
    sampling = False
    while not sampling or metrics._usage._task is not None:  # until the end stops sampling
        sampling |= metrics._usage._task is not None
        await asyncio.sleep(0)
    resync.cancel()  # a newer trigger, or the integration stopping, right then
    with contextlib.suppress(asyncio.CancelledError):
        await resync
    beats = sum(path.endswith("/heartbeat") for path in http.paths)
    await asyncio.sleep(0.1)

    assert sum(path.endswith("/heartbeat") for path in http.paths) == beats
