"""Against a Port API each resync gives the mapping editor every kind's first raw items,
masked, as the original does (``send_raw_data_examples``); a failure to give them never
fails the resync."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from ocean.job import SilentObserver
from ocean.listen.once import run_once
from ocean.sail import Sail, prepare
from ocean.store.port.limits import OCEAN_SERVER
from tests.conftest import TEAMS, Workspace, services
from tests.store.port.fake_port import FakePort, client

INTEGRATION = "my-integration-integration"


def _prepared(tmp_path: Path, pages: list[list[dict[str, object]]], **environ: str) -> Sail:
    workspace = Workspace(tmp_path)
    workspace.set_data(services=pages, teams=TEAMS)
    return prepare(workspace.folder, environ=workspace.environ | environ, overrides={})


async def test_each_kind_gives_its_first_five_raw_items_across_pages(tmp_path: Path) -> None:
    port = FakePort()
    pages = [services(3), services(4, start=3)]

    report = await run_once(_prepared(tmp_path, pages), client(port), SilentObserver())

    assert report.status == "completed"
    assert port.examples[(INTEGRATION, "team")] == TEAMS
    assert port.examples[(INTEGRATION, "service")] == services(5)


async def test_the_examples_are_masked(tmp_path: Path) -> None:
    port = FakePort()
    item = services(1)[0] | {"webhookSecret": "s3cr3t-value", "url": "https://bot:hunter22@x/1"}

    await run_once(_prepared(tmp_path, [[item]]), client(port), SilentObserver())

    [sent] = port.examples[(INTEGRATION, "service")]
    assert sent["webhookSecret"] == "[REDACTED]"
    assert sent["url"] == "https://[REDACTED]@x/1"
    assert sent["name"] == item["name"]


@pytest.mark.parametrize(
    ("environ", "offered"),
    [({"OCEAN__SEND_RAW_DATA_EXAMPLES": "false"}, None), ({}, OCEAN_SERVER.header())],
    ids=["the-setting-off", "oceans-own-server"],
)
async def test_no_examples_are_given_when_off_or_to_oceans_own_server(
    tmp_path: Path, environ: dict[str, str], offered: str | None
) -> None:
    port = FakePort()
    port.offered = offered
    prepared = _prepared(tmp_path, [services(3)], **environ)

    report = await run_once(prepared, client(port), SilentObserver())

    assert report.status == "completed"
    assert port.examples == {}


async def test_examples_port_refuses_are_a_warning_and_the_resync_completes(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    port = FakePort()
    route = f"POST /integration/{INTEGRATION}/kinds/service/examples"
    port.failures[route] = [(500, {})]

    with caplog.at_level(logging.WARNING, logger="ocean.extract.examples"):
        report = await run_once(_prepared(tmp_path, [services(3)]), client(port), SilentObserver())

    assert report.status == "completed"
    assert len(port.entities) == 3 + len(TEAMS)
    assert "kind 'service': its example raw items were not sent" in caplog.text
    assert (INTEGRATION, "team") in port.examples
