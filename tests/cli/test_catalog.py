"""``ocean catalog runs`` (--json, --id) and ``ocean catalog resync`` of an unknown
integration; the run reads they use, on every backend."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from ocean.cli.main import cli
from ocean.server.app import create_app
from ocean.store.base import RunRecord, Store
from tests import loopback
from tests.conftest import RAISED_AT, TEAMS, Workspace, services
from tests.server.serving import fresh_catalog


def _invoke(workspace: Workspace, *args: str) -> tuple[int, str]:
    url = f"sqlite:///{workspace.catalog}"
    result = CliRunner().invoke(cli, [*args, "--catalog", url], env=workspace.environ)
    return result.exit_code, result.output


@pytest.fixture
def two_runs(workspace: Workspace) -> Workspace:
    """A completed run (1), then one whose service handler failed (2)."""
    workspace.set_data(services=[services(2)], teams=TEAMS)
    assert _invoke(workspace, "sail", str(workspace.folder), "--once")[0] == 0
    workspace.set_data(services=[services(1), services(1)], teams=TEAMS, fail_service_after=1)
    assert _invoke(workspace, "sail", str(workspace.folder), "--once")[0] == 1
    return workspace


def test_runs_json_has_one_line_per_run_newest_first(two_runs: Workspace) -> None:
    code, output = _invoke(two_runs, "catalog", "runs", "--json")

    assert code == 0, output
    runs = [json.loads(line) for line in output.splitlines()]
    assert [(run["id"], run["status"]) for run in runs] == [(2, "failed"), (1, "completed")]
    assert runs[1]["integration"] == "my-integration-integration"
    assert {k["kind"]: k["created"] for k in runs[1]["report"]["kinds"]} == {
        "team": 2,
        "service": 2,
    }


def test_runs_table_counts_errors(two_runs: Workspace) -> None:
    code, output = _invoke(two_runs, "catalog", "runs")
    assert code == 0 and "errors" in output


def test_a_past_runs_errors_are_shown_with_the_integrations_lines(two_runs: Workspace) -> None:
    code, output = _invoke(two_runs, "catalog", "runs", "--id", "2")

    assert code == 0, output
    assert output.startswith("run 2 of my-integration-integration (manual)")
    assert "failed" in output
    assert "handler services raised RuntimeError: the service API went away" in output
    raised = f'main.py:{RAISED_AT} in services: raise RuntimeError("the service API went away")'
    assert raised in output


def test_a_past_run_as_json(two_runs: Workspace) -> None:
    code, output = _invoke(two_runs, "catalog", "runs", "--id", "1", "--json")
    assert code == 0
    assert json.loads(output)["status"] == "completed"


def test_an_unknown_run_id_exits_non_zero(two_runs: Workspace) -> None:
    code, output = _invoke(two_runs, "catalog", "runs", "--id", "9")
    assert code == 1
    assert "no run 9" in output


@pytest.mark.parametrize(
    ("args", "code", "says"),
    [
        (["my-integration-integration"], 0, "resync of my-integration-integration requested at"),
        (["my-integraton-integration"], 1, "known: my-integration-integration"),
        (
            ["my-integraton-integration", "--force"],
            0,
            "resync of my-integraton-integration requested",
        ),
    ],
    ids=["known", "unknown", "forced"],
)
def test_resync_of_an_unknown_integration_names_the_known_ones(
    two_runs: Workspace, args: list[str], code: int, says: str
) -> None:
    result = _invoke(two_runs, "catalog", "resync", *args)
    assert result[0] == code
    assert says in result[1]


def test_resync_on_a_catalog_that_never_ran_says_so(workspace: Workspace) -> None:
    code, output = _invoke(workspace, "catalog", "resync", "anything")
    assert code == 1
    assert "none has run on this catalog yet" in output
    assert "--force" in output
    # where the identifier comes from, as the sail computes it (not the spec's `type`)
    assert "OCEAN__INTEGRATION__TYPE, else the name in its folder's pyproject.toml" in output


async def test_runs_are_read_back_by_id_and_integration(store: Store) -> None:
    first = await store.record_run(
        RunRecord("gh", "manual", "2026-01-01T00:00:00.000Z", None, "x", {})
    )
    await store.record_run(RunRecord("az", "start", "2026-01-01T00:00:01.000Z", None, "x", {}))
    await store.record_run(RunRecord("gh", "start", "2026-01-01T00:00:02.000Z", None, "x", {}))

    found = await store.get_run(first)
    assert found is not None
    assert (found.id, found.integration, found.trigger) == (
        first,
        "gh",
        "manual",
    )
    assert await store.get_run(first + 100) is None
    assert await store.run_integrations() == ["az", "gh"]


def test_the_catalog_s_text_is_printed_as_it_is_not_as_markup(workspace: Workspace) -> None:
    workspace.set_data(services=[[{**services(1)[0], "name": "Release [/notes]"}]], teams=TEAMS)
    assert _invoke(workspace, "sail", str(workspace.folder), "--once")[0] == 0

    code, output = _invoke(workspace, "catalog", "entities", "--blueprint", "service")

    assert code == 0, output
    assert "Release [/notes]" in output


@pytest.mark.parametrize(
    "command",
    [["catalog", "entities"], ["catalog", "blueprints"], ["catalog", "runs"],
     ["catalog", "show", "service", "svc-1"]],
    ids=["entities", "blueprints", "runs", "show"],
)  # fmt: skip
def test_reading_a_catalog_that_is_not_there_says_so_and_makes_none(
    tmp_path: Path, command: list[str]
) -> None:
    """Run from the wrong folder, a read showed an empty catalog it had just made."""
    missing = tmp_path / ".ocean" / "catalog.db"

    result = CliRunner().invoke(cli, [*command, "--catalog", f"sqlite:///{missing}"])

    assert result.exit_code != 0
    assert f"there is no catalog at {missing}: run this where `ocean sail` wrote one" in (
        result.output
    )
    assert not missing.exists() and not missing.parent.exists()


async def test_resync_on_a_port_api_says_where_to_ask(tmp_path: Path) -> None:
    """Port keeps resync requests itself: one recorded in the command's own process would
    reach no listener (it said ``requested`` and nothing ran)."""
    async with fresh_catalog("sqlite", tmp_path) as catalog:
        client_id, secret = await catalog.create_credentials("port api")
        async with loopback.served(create_app(catalog)) as base:
            env = os.environ | {"OCEAN__PORT__CLIENT_ID": client_id,
                                "OCEAN__PORT__CLIENT_SECRET": secret}  # fmt: skip
            command = asyncio.create_subprocess_exec(
                sys.executable, "-m", "ocean", "catalog", "resync", "it", "--force",
                "--catalog", base, env=env, stderr=asyncio.subprocess.PIPE,
            )  # fmt: skip
            process = await command
            _, err = await process.communicate()

    assert process.returncode == 1
    assert "ask for one in Port's UI" in err.decode()
