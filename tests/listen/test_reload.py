"""A long-running sail applies an edited mapping at its next resync; an invalid edit keeps
the mapping in use and says why."""

from __future__ import annotations

import copy
import logging
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest

from ocean.listen.reload import MappingReload
from ocean.sail import prepare
from tests.conftest import DEFAULT_MAPPING, TEAMS, Workspace, services
from tests.loopback import free_port, reaped, until


def _titled(title: str) -> dict[str, Any]:
    mapping = copy.deepcopy(DEFAULT_MAPPING)
    mapping["resources"][1]["port"]["entity"]["mappings"]["title"] = title
    return mapping


def _mapping_file(workspace: Workspace) -> Any:
    return workspace.folder / ".port/resources/port-app-config.yml"


@pytest.mark.parametrize(
    ("edit", "applied", "logged"),
    [
        pytest.param(lambda w: w.set_mapping(_titled('.name + "!"')), True, "applied from this resync on", id="valid"),
        pytest.param(lambda w: None, False, None, id="unchanged"),
        pytest.param(lambda w: w.set_mapping(_titled(".name | nosuch")), False, "nosuch/0 is not defined", id="bad-jq"),
        pytest.param(lambda w: _mapping_file(w).write_text("resources: [unclosed"), False, "cannot read the mapping", id="bad-yaml"),
        pytest.param(lambda w: w.set_mapping({"resources": [{"kind": "service"}]}), False, "port: required", id="bad-structure"),
    ],
)  # fmt: skip
def test_an_edit_is_applied_only_when_valid(
    workspace: Workspace,
    caplog: pytest.LogCaptureFixture,
    edit: Any,
    applied: bool,
    logged: str | None,
) -> None:
    sail = prepare(workspace.folder, environ=workspace.environ, overrides={})
    mapping, resources = sail.folder.mapping, sail.resources
    reload = MappingReload(sail)
    edit(workspace)

    with caplog.at_level(logging.INFO):
        assert reload() is applied
        assert reload() is False  # read once: nothing new the second time

    assert sail.folder.mapping is mapping and sail.resources is resources  # shared objects
    title = sail.resources[1].resource.port.entity.mappings.title
    assert title == ('.name + "!"' if applied else ".name")
    if logged is None:
        assert not caplog.records
    else:
        assert logged in caplog.text
    if not applied and logged:
        assert "the previous one stays in use" in caplog.text


def _sail(workspace: Workspace, port: int, log: Path) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "ocean", "sail", str(workspace.folder), "--catalog", str(workspace.catalog),
               "--port", str(port), "--quiet", "-l", "INFO"]  # fmt: skip
    env = os.environ | workspace.environ | {"OCEAN__EVENT_LISTENER__INTERVAL": "0.1",
                                            "OCEAN__EVENT_LISTENER__TOKEN": "t"}  # fmt: skip
    with log.open("wb") as stderr:
        return subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=stderr)


def _titles(workspace: Workspace) -> set[str]:
    import asyncio

    return {e["title"] for e in asyncio.run(workspace.entities("service")).values()}


def test_a_running_sail_applies_an_edited_mapping_at_its_next_resync(
    workspace: Workspace, tmp_path: Path
) -> None:
    workspace.set_data(services=[services(2)], teams=TEAMS)
    port, log = free_port(), tmp_path / "sail.log"
    process = _sail(workspace, port, log)
    base, token = f"http://127.0.0.1:{port}", {"Authorization": "Bearer t"}
    with reaped(process):
        until(
            lambda: (
                'ocean_resyncs_total{status="completed"} 1.0' in httpx.get(f"{base}/metrics").text
            )
        )
        assert _titles(workspace) == {"Service 0", "Service 1"}

        workspace.set_mapping(_titled('.name + "!"'))
        assert httpx.post(f"{base}/resync", headers=token).status_code == 202
        until(lambda: _titles(workspace) == {"Service 0!", "Service 1!"})

        workspace.set_mapping(_titled(".name | nosuch"))
        assert httpx.post(f"{base}/resync", headers=token).status_code == 202
        until(
            lambda: (
                'ocean_resyncs_total{status="completed"} 3.0' in httpx.get(f"{base}/metrics").text
            )
        )
        assert _titles(workspace) == {"Service 0!", "Service 1!"}

        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=10) == 0
    errors = log.read_text()
    assert "applied from this resync on" in errors
    assert "was edited but is not valid, so the previous one stays in use" in errors
    assert "nosuch/0 is not defined at line 1, column 9 of the expression" in errors
