"""JQ that does not compile is left to its kind: a field maps to null, a kind whose keys,
selector or itemsToParse do not compile fails alone; the other kinds sync (real resyncs
into the embedded SQLite catalog)."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from ocean.cli.main import cli
from ocean.monitor.report import KindReport, ResyncReport
from ocean.sail import prepare
from tests.conftest import DEFAULT_MAPPING, TEAMS, Workspace, resource, services

UNTERMINATED = '.fields."System.Description" // "'
"""A string left open (jq: ``unexpected end of file``, at its QQSTRING)."""


def _kind(report: ResyncReport, name: str) -> KindReport:
    return next(kind for kind in report.kinds if kind.kind == name)


def _service(**changed: Any) -> dict[str, Any]:
    """The default service resource with some of its mappings (or its selector) changed."""
    block = resource("service", "service", properties={"url": ".url", "stars": ".stars"},
                     relations={"team": ".team"})  # fmt: skip
    mappings = block["port"]["entity"]["mappings"]
    for path, text in changed.items():
        if path == "selector":
            block["selector"]["query"] = text
        elif path == "itemsToParse":
            block["port"]["itemsToParse"] = text
        elif "." in path:
            group, key = path.split(".")
            mappings[group][key] = text
        else:
            mappings[path] = text
    return block


def _mapping(service: dict[str, Any]) -> dict[str, Any]:
    return {"resources": [DEFAULT_MAPPING["resources"][0], service]}


@pytest.mark.parametrize(
    ("path", "text", "shown", "stored"),
    [
        pytest.param("properties.url", UNTERMINATED, "QQSTRING", None, id="unterminated-string"),
        pytest.param("properties.stars", ".stars | (", "unexpected end of file", None, id="property"),
        pytest.param("title", ".name | ascii_downcase(", "unexpected end of file", None, id="title"),
        pytest.param("relations.team", "[.team", "expecting", None, id="relation"),
        pytest.param("team", ".team | nosuch", "nosuch/0 is not defined", [], id="team"),  # the catalog's null team
        pytest.param("icon", "True", "True/0 is not defined", None, id="icon"),
    ],
)  # fmt: skip
async def test_a_field_that_does_not_compile_is_null_and_everything_else_syncs(
    workspace: Workspace, path: str, text: str, shown: str, stored: Any
) -> None:
    workspace.set_data(services=[services(3)], teams=TEAMS)
    await workspace.sail()
    workspace.set_mapping(_mapping(_service(**{path: text})))
    workspace.set_data(services=[services(2)], teams=TEAMS[:1])

    report = await workspace.sail()

    service = _kind(report, "service")
    assert report.status == "completed", [k.errors for k in report.kinds]
    assert service.status == "completed" and service.errors == []
    misconfigured = service.misconfigurations[path]
    assert misconfigured.startswith(f"{text} (does not compile: ") and shown in misconfigured
    entities = await workspace.entities("service")
    assert sorted(entities) == ["svc-0", "svc-1"]  # svc-2 was stale: deleted as usual
    value: Any = entities["svc-0"]
    for part in path.split("."):
        value = value.get(part)
    assert value == stored
    assert entities["svc-0"]["properties"]["stars" if path != "properties.stars" else "url"]
    assert sorted(await workspace.entities("team")) == ["core"]


@pytest.mark.parametrize(
    ("path", "text", "teams_deleted"),
    [
        pytest.param("identifier", ".id | ((", True, id="identifier"),
        pytest.param("blueprint", '"service', False, id="blueprint"),
        pytest.param("selector", '.state == "open" and', True, id="selector"),
        pytest.param("itemsToParse", ".subs | map(", True, id="items-to-parse"),
    ],
)  # fmt: skip
async def test_a_key_that_does_not_compile_fails_its_kind_alone_and_keeps_its_entities(
    workspace: Workspace, path: str, text: str, teams_deleted: bool
) -> None:
    workspace.set_data(services=[services(3)], teams=TEAMS)
    await workspace.sail()
    workspace.set_mapping(_mapping(_service(**{path: text})))
    workspace.set_data(services=[services(1, stars=9)], teams=TEAMS[:1])

    report = await workspace.sail()

    service, team = _kind(report, "service"), _kind(report, "team")
    assert report.status == "failed"
    assert service.status == "failed" and service.extracted == 0  # not even fetched
    (error,) = service.errors
    assert f"{text!r} does not compile" in error and "resources[1] (kind 'service')" in error
    assert "entities are kept" in error and "Fix the expression" in error
    stored = await workspace.entities("service")
    assert sorted(stored) == ["svc-0", "svc-1", "svc-2"]  # none deleted, none updated
    assert stored["svc-0"]["properties"]["stars"] == 1
    assert team.status == "completed" and team.unchanged == 1
    # a computed blueprint: which entities the failed kind owns is unknown, nothing deleted
    assert sorted(await workspace.entities("team")) == (
        ["core"] if teams_deleted else ["core", "edge"]
    )


async def test_each_expression_that_does_not_compile_is_logged_once_at_start(
    workspace: Workspace, caplog: pytest.LogCaptureFixture
) -> None:
    workspace.set_mapping(_mapping(_service(**{"properties.url": UNTERMINATED,
                                               "identifier": ".id | (("})))  # fmt: skip
    workspace.set_data(services=[services(2)], teams=TEAMS)

    with caplog.at_level(logging.ERROR, logger="ocean.transform.mapper"):
        prepare(workspace.folder, environ=workspace.environ, overrides={})

    logged = [record.getMessage() for record in caplog.records]
    assert len(logged) == 2
    url, identifier = sorted(logged, key=lambda message: "identifier" in message)
    assert "resources[1] (kind 'service') properties.url" in url and "maps to null" in url
    assert "^" in url  # jq's error points at the expression
    assert "resources[1] (kind 'service') identifier" in identifier
    assert "the kind fails at each resync" in identifier


async def test_expect_null_does_not_hide_a_field_that_does_not_compile(
    workspace: Workspace,
) -> None:
    service = _service(**{"properties.url": ".url |"}) | {"expectNull": ["properties.*"]}
    workspace.set_mapping(_mapping(service))
    workspace.set_data(services=[services(1)], teams=TEAMS)

    report = await workspace.sail()

    assert list(_kind(report, "service").misconfigurations) == ["properties.url"]
    assert report.status == "completed"


def test_ocean_map_still_refuses_a_mapping_with_jq_that_does_not_compile(
    workspace: Workspace, tmp_path: Path
) -> None:
    workspace.set_mapping(_mapping(_service(**{"properties.url": UNTERMINATED,
                                               "selector": ".a and"})))  # fmt: skip
    sample = tmp_path / "sample.json"
    sample.write_text("[]")

    result = CliRunner().invoke(
        cli, ["map", str(workspace.folder), "--kind", "service", "--sample", str(sample)],
        env=workspace.environ,
    )  # fmt: skip

    assert result.exit_code == 2, result.output
    assert "resources[1] (kind 'service') properties.url: " in result.output
    assert (
        "resources[1] (kind 'service') selector.query: '.a and' does not compile" in result.output
    )
