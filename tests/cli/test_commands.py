"""The ``ocean`` commands as a user runs them."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from ocean.cli.main import cli
from ocean.store.sqlite.store import SQLiteStore
from tests.conftest import TEAMS, Workspace, services


def _invoke(workspace: Workspace, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args), env=workspace.environ, catch_exceptions=False)
    return result.exit_code, result.output


def test_sail_once_writes_report_and_catalog_commands_show_it(workspace: Workspace) -> None:
    workspace.set_data(services=[services(2)], teams=TEAMS)
    url = f"sqlite:///{workspace.catalog}"
    report_file = workspace.root / "report.json"

    code, output = _invoke(
        workspace,
        "sail",
        str(workspace.folder),
        "--once",
        "--catalog",
        url,
        "--report",
        str(report_file),
    )

    assert code == 0, output
    assert "service" in output and "completed" in output
    report = json.loads(report_file.read_text())
    assert report["status"] == "completed"
    assert {k["kind"]: k["created"] for k in report["kinds"]} == {"team": 2, "service": 2}

    code, output = _invoke(
        workspace, "catalog", "entities", "--json", "--blueprint", "service", "--catalog", url
    )
    lines = [json.loads(line) for line in output.splitlines()]
    assert code == 0
    assert [e["identifier"] for e in lines] == ["svc-0", "svc-1"]
    assert {"createdAt", "updatedAt", "properties", "relations"} <= lines[0].keys()

    code, output = _invoke(workspace, "catalog", "show", "service", "svc-1", "--catalog", url)
    assert json.loads(output)["title"] == "Service 1"
    code, output = _invoke(workspace, "catalog", "runs", "--catalog", url)
    assert "completed" in output


def test_a_rerun_says_how_many_pages_it_did_not_map_again(workspace: Workspace) -> None:
    workspace.set_data(services=[services(2), services(2, start=2)], teams=TEAMS)
    url = f"sqlite:///{workspace.catalog}"
    _invoke(workspace, "sail", str(workspace.folder), "--once", "--catalog", url)

    code, output = _invoke(workspace, "sail", str(workspace.folder), "--once", "--catalog", url)

    assert code == 0, output
    assert "service: 2 page(s) as the last resync left them" in output


def test_a_quiet_sail_loads_no_terminal_rendering(workspace: Workspace) -> None:
    workspace.set_data(services=[services(2)], teams=TEAMS)
    script = (
        "import sys\n"
        "from ocean.cli.main import cli\n"
        "try:\n"
        f"    cli(['sail', {str(workspace.folder)!r}, '--once', '--quiet', "
        f"'--catalog', 'sqlite:///{workspace.catalog}'])\n"
        "except SystemExit as done:\n"
        "    assert done.code in (0, None), done.code\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'rich'))\n"
    )
    env = {**os.environ, **workspace.environ}
    run = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True)

    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "[]"


def test_failed_resync_exits_non_zero(workspace: Workspace) -> None:
    workspace.set_data(services=[services(2)], teams=TEAMS, fail_service_after=0)

    code, output = _invoke(
        workspace, "sail", str(workspace.folder), "--once", "--catalog", str(workspace.catalog)
    )

    assert code == 1
    assert "the service API went away" in output


def test_configuration_error_is_one_clear_line(workspace: Workspace, tmp_path: Path) -> None:
    workspace.environ = {}

    code, output = _invoke(
        workspace, "sail", str(workspace.folder), "--once", "--catalog", str(workspace.catalog)
    )

    assert code == 2
    assert "error: the integration configuration is incomplete" in output
    assert "dataFile" in output


def test_unknown_entity_says_how_to_list_them(workspace: Workspace) -> None:
    async def made() -> None:  # a catalog, holding nothing
        await (await SQLiteStore.open(workspace.catalog)).close()

    asyncio.run(made())

    code, output = _invoke(
        workspace, "catalog", "show", "service", "nope", "--catalog", str(workspace.catalog)
    )

    assert code == 1
    assert "ocean catalog entities --blueprint service" in output


def test_a_port_api_catalog_without_credentials_says_what_to_set(workspace: Workspace) -> None:
    workspace.set_data(services=[services(1)], teams=TEAMS)

    code, output = _invoke(
        workspace, "sail", str(workspace.folder), "--once", "--catalog", "https://api.getport.io"
    )

    assert code == 2
    assert "set OCEAN__PORT__CLIENT_ID and OCEAN__PORT__CLIENT_SECRET" in output


def test_sail_once_stopped_by_sigterm_records_the_resync_aborted_and_frees_its_lease(
    workspace: Workspace,
) -> None:
    workspace.set_data(services=[services(1, start=n) for n in range(20)], teams=TEAMS, slow=0.2)
    command = [sys.executable, "-m", "ocean", "sail", str(workspace.folder), "--once",
               "--catalog", str(workspace.catalog), "--quiet"]  # fmt: skip
    sail = subprocess.Popen(command, env=os.environ | workspace.environ, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not _running(workspace.catalog):
        time.sleep(0.1)
    time.sleep(0.3)  # inside the slow handler

    sail.send_signal(signal.SIGTERM)
    sail.communicate(timeout=30)

    assert sail.returncode == 128 + signal.SIGTERM
    with sqlite3.connect(workspace.catalog) as db:
        runs = db.execute("SELECT status FROM runs").fetchall()
        (holder,) = db.execute("SELECT holder FROM resync_leases").fetchone()
    assert (runs, holder) == ([("aborted",)], None)


def _running(catalog: Path) -> bool:
    try:
        with sqlite3.connect(catalog) as db:
            return bool(
                db.execute("SELECT count(*) FROM runs WHERE status = 'running'").fetchone()[0]
            )
    except sqlite3.Error:
        return False


@pytest.mark.parametrize(
    ("options", "actions"),
    [
        pytest.param([], ["restart"], id="the folder's actions by default"),
        pytest.param(["-i", "false"], [], id="none with the original's -i false"),
        pytest.param(["--initialize-port-resources", "true"], ["restart"], id="long form"),
    ],
)
def test_sail_takes_the_originals_short_options(
    workspace: Workspace, options: list[str], actions: list[str]
) -> None:
    """``ocean sail -O -i false``, as the original's Dockerfiles and docs write it."""
    from ocean.actions.open import actions_of

    workspace.set_data(services=[services(2)], teams=TEAMS)
    resources = workspace.folder / ".port" / "resources"
    (resources / "actions.json").write_text(json.dumps([{"identifier": "restart"}]))

    code, output = _invoke(
        workspace, "sail", str(workspace.folder), "-O", "--catalog", str(workspace.catalog),
        *options,
    )  # fmt: skip

    assert code == 0, output

    async def listed() -> list[str]:
        store = await SQLiteStore.open(workspace.catalog)
        try:
            return [action["identifier"] for action in await actions_of(store).list_actions()]
        finally:
            await store.close()

    assert asyncio.run(listed()) == actions
