"""``/metrics`` after real resyncs of a workspace: the series the original's dashboards
read, and what a resync that stopped with an error leaves shown."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from prometheus_client import CollectorRegistry
from prometheus_client.parser import text_string_to_metric_families

from ocean.job import SilentObserver
from ocean.listen.once import run_once
from ocean.listen.polling import poll
from ocean.monitor.metrics import Metrics, ShowsRunning
from ocean.sail import Sail, prepare
from tests.conftest import TEAMS, Workspace, services
from tests.store.port.fake_port import FakePort, client


class _PolledPort(FakePort):
    """A Port API a polling listener reads its resync requests from (none requested)."""

    def _route(self, method: str, path: str, body: Any, request: httpx.Request) -> httpx.Response:
        if method == "GET" and path.endswith("/resync-request"):
            return httpx.Response(200, json={"ok": True, "request": None})
        return super()._route(method, path, body, request)


def _prepared(workspace: Workspace) -> Sail:
    return prepare(workspace.folder, environ=workspace.environ, overrides={})


def _value(metrics: Metrics, name: str, **labels: str) -> float | None:
    body, _ = metrics.render()
    for family in text_string_to_metric_families(body.decode()):
        for sample in family.samples:
            if sample.name == name and sample.labels == labels:
                return sample.value
    return None


async def test_a_resync_is_shown_under_the_originals_runtime_and_reconciliation_kinds(
    workspace: Workspace,
) -> None:
    metrics = Metrics(CollectorRegistry(), process=False)
    workspace.set_data(services=[services(3)], teams=TEAMS)
    await workspace.sail()
    workspace.set_data(services=[services(1)], teams=TEAMS)
    metrics.started()
    report = await workspace.sail()
    metrics.finished(report)

    assert report.status == "completed" and report.deleted == 2
    # what the original sets for the run and its stale deletion (dashboards read these)
    assert _value(metrics, "success", kind="__runtime__", phase="resync") == 1
    assert _value(metrics, "success", kind="__reconciliation__", phase="resync") == 1
    deleted = {"kind": "__reconciliation__", "phase": "delete", "object_count_type": "deleted"}
    assert _value(metrics, "object_count", **deleted) == 2
    seconds = _value(metrics, "duration_seconds", kind="__runtime__", phase="resync")
    assert seconds == pytest.approx(
        _value(metrics, "duration_seconds", kind="__resync__", phase="resync")
    )


@pytest.mark.parametrize("ingest_url", [None, "https://port.test/ingest/metrics"])
async def test_a_resync_port_failed_is_shown_failed_not_running(
    workspace: Workspace, ingest_url: str | None
) -> None:
    workspace.set_data(services=[services(3)], teams=TEAMS)
    workspace.environ["OCEAN__EVENT_LISTENER__INTERVAL"] = "60"  # (no retry meanwhile)
    port = _PolledPort()
    port.ingest_url = ingest_url  # (with sync metrics, around the sail's observer)
    await run_once(_prepared(workspace), client(port), SilentObserver())
    workspace.set_data(services=[services(1)], teams=TEAMS)
    port.failures["POST /blueprints/service/bulk/entities/delete"] = [(500, {})] * 20
    metrics, stop = Metrics(CollectorRegistry(), process=False), asyncio.Event()
    observer = ShowsRunning(SilentObserver(), metrics)
    listening = asyncio.create_task(
        poll(_prepared(workspace), client(port), observer, stop=stop, on_report=metrics.finished)
    )
    try:
        for _ in range(500):  # until Port is told the resync failed
            if [s["status"] for s in port.resync_states][-1:] == ["failed"]:
                break
            await asyncio.sleep(0.01)
        await asyncio.sleep(0.05)
    finally:
        stop.set()
        await asyncio.wait_for(listening, timeout=10)

    assert port.resync_states[-1]["status"] == "failed"
    assert _value(metrics, "ocean_resync_status", status="running") == 0
    assert _value(metrics, "ocean_resync_status", status="failed") == 1
    assert _value(metrics, "ocean_resyncs_total", status="failed") == 1
    assert _value(metrics, "success", kind="service-1", phase="resync") == 1  # (it synced)
    assert _value(metrics, "success", kind="__runtime__", phase="resync") == 0
