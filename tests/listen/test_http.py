"""``ocean sail`` as a long-running process: its HTTP server, metrics, trigger and shutdown."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable

import httpx
import pytest

from ocean.config.settings import EventListenerSettings
from ocean.listen.once import changelog_destination
from tests.conftest import TEAMS, Workspace, services
from tests.loopback import free_port, reaped, until


def _sail(workspace: Workspace, port: int, settings: dict[str, str]) -> subprocess.Popen[bytes]:
    """``ocean sail`` (not --once) on the workspace, serving on ``port``."""
    command = [sys.executable, "-m", "ocean", "sail", str(workspace.folder), "--catalog", str(workspace.catalog),
               "--port", str(port), "--quiet"]  # fmt: skip
    env = os.environ | workspace.environ | settings
    return subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def test_serves_metrics_takes_authenticated_triggers_and_stops_on_sigterm(
    workspace: Workspace,
) -> None:
    workspace.set_data(services=[services(4)], teams=TEAMS)
    port = free_port()
    process = _sail(
        workspace,
        port,
        {"OCEAN__EVENT_LISTENER__INTERVAL": "0.1", "OCEAN__EVENT_LISTENER__TOKEN": "s3cret"},
    )
    base = f"http://127.0.0.1:{port}"
    with reaped(process):
        until(lambda: httpx.get(f"{base}/ready").status_code == 200)
        until(
            lambda: (
                'ocean_resync_status{status="completed"} 1.0' in httpx.get(f"{base}/metrics").text
            )
        )
        metrics = httpx.get(f"{base}/metrics").text
        assert 'ocean_items_total{kind="service",phase="created"} 4.0' in metrics
        for original in (  # the original port-ocean's names, which its users' dashboards read
            'object_count{kind="service-1",object_count_type="loaded",phase="load"} 4.0',
            'success{kind="__resync__",phase="resync"} 1.0',
            'duration_seconds{kind="service-1",phase="extract"}',
        ):
            assert original in metrics
        assert "process_resident_memory_bytes" in metrics
        assert "ocean_last_successful_resync_timestamp_seconds 0.0" not in metrics

        assert httpx.post(f"{base}/resync").status_code == 401
        assert (
            httpx.post(f"{base}/resync", headers={"Authorization": "Bearer wrong"}).status_code
            == 401
        )
        assert (
            httpx.post(f"{base}/resync", headers={"Authorization": "bearer s3cret"}).status_code
            == 202  # (an HTTP scheme in any case)
        )
        until(
            lambda: (
                'ocean_resyncs_total{status="completed"} 2.0' in httpx.get(f"{base}/metrics").text
            )
        )
        assert (
            'ocean_items_total{kind="service",phase="unchanged"} 4.0'
            in httpx.get(f"{base}/metrics").text
        )
        assert httpx.get(f"{base}/health").json() == {"ok": True}

        started = time.monotonic()
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=10) == 0
        assert time.monotonic() - started < 10


def test_webhooks_only_serves_without_resyncing(workspace: Workspace) -> None:
    workspace.set_data(services=[services(1)], teams=TEAMS)
    port = free_port()
    process = _sail(workspace, port, {"OCEAN__EVENT_LISTENER__TYPE": "WEBHOOKS_ONLY"})
    with reaped(process):
        until(lambda: httpx.get(f"http://127.0.0.1:{port}/health").status_code == 200)
        assert (
            'ocean_resyncs_total{status="completed"} 0.0'
            in httpx.get(f"http://127.0.0.1:{port}/metrics").text
        )
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=10) == 0


@pytest.mark.parametrize(
    ("settings", "destination"),
    [
        ({"type": "KAFKA"}, {"type": "KAFKA"}),
        (
            {"type": "WEBHOOK", "app_host": "https://ocean.example.com/"},
            {"type": "WEBHOOK", "url": "https://ocean.example.com/resync"},
        ),
        ({"type": "WEBHOOK"}, {}),
        ({"type": "POLLING"}, {}),
        ({"type": "ONCE"}, {}),
    ],
)
def test_port_is_told_where_the_change_log_goes_as_the_original_tells_it(
    settings: dict[str, str], destination: dict[str, str]
) -> None:
    assert changelog_destination(EventListenerSettings(**settings)) == destination


@pytest.mark.parametrize(
    "given",
    [
        pytest.param(lambda port: (["--port", str(port)], {}), id="--port"),
        pytest.param(lambda port: (["-p", str(port)], {}), id="the original's -p"),
        pytest.param(lambda port: ([], {"APPLICATION__PORT": str(port)}), id="APPLICATION__PORT"),
        pytest.param(  # the original lets the variable win: a deliberate difference
            lambda port: (["--port", str(port)], {"APPLICATION__PORT": "1"}), id="option wins"
        ),
    ],
)
def test_a_taken_port_is_a_message_before_any_resync(
    workspace: Workspace, given: Callable[[int], tuple[list[str], dict[str, str]]]
) -> None:
    """As ``ocean catalog serve`` says it: the sail stops at once, naming the address, and
    syncs nothing (it resynced, then printed uvicorn's traceback)."""
    workspace.set_data(services=[services(2)], teams=TEAMS)
    taken = socket.socket()
    taken.bind(("0.0.0.0", 0))
    taken.listen()
    port = taken.getsockname()[1]
    options, env = given(port)
    command = [sys.executable, "-m", "ocean", "sail", str(workspace.folder),
               "--catalog", str(workspace.catalog), *options]  # fmt: skip
    try:
        done = subprocess.run(command, env=os.environ | workspace.environ | env,
                              capture_output=True, timeout=60)  # fmt: skip
    finally:
        taken.close()

    said = done.stderr.decode() + done.stdout.decode()
    assert done.returncode != 0
    assert f"cannot serve at 127.0.0.1:{port}: Address already in use" in said
    assert "Traceback" not in said
    assert "resync" not in said.lower()


@pytest.mark.parametrize("listener", ["WEBHOOKS_ONLY", "ACTIONS_ONLY"])
def test_a_sail_that_never_resyncs_is_ready_and_shows_no_resync_running(
    workspace: Workspace, listener: str
) -> None:
    workspace.set_data(services=[services(1)], teams=TEAMS)
    port = free_port()
    process = _sail(workspace, port, {"OCEAN__EVENT_LISTENER__TYPE": listener})
    base = f"http://127.0.0.1:{port}"
    with reaped(process):
        until(lambda: httpx.get(f"{base}/ready").status_code == 200)
        time.sleep(0.5)  # on_start ran meanwhile: still no resync
        metrics = httpx.get(f"{base}/metrics").text
        assert httpx.get(f"{base}/ready").status_code == 200

    shown = [line for line in metrics.splitlines() if line.startswith("ocean_resync_status")]
    assert shown and all(line.endswith(" 0.0") for line in shown), shown
