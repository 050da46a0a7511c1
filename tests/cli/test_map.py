"""``ocean map``: the mapping debugger."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from ocean.cli.main import cli
from tests.conftest import Workspace, needs_shared

CASES = Path(__file__).resolve().parents[2].parent / "shared" / "compat" / "cases"
RESOURCE = {
    "kind": "svc",
    "selector": {"query": ".live"},
    "port": {
        "entity": {
            "mappings": {
                "identifier": ".id",
                "blueprint": '"svc"',
                "title": 'env.STAGE + "-" + .id',
                "properties": {"url": ".url"},
            }
        }
    },
}


def _invoke(*args: str, env: dict[str, str] | None = None) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["map", *args], env=env, catch_exceptions=False)
    return result.exit_code, result.output


@pytest.mark.parametrize(
    ("flags", "passed", "failed"),
    [
        pytest.param([], ["a"], [], id="resync-semantics"),
        pytest.param(["--parse-all"], ["a"], ["b"], id="parse-all"),
    ],
)
def test_resource_and_items_print_the_compat_shape(
    tmp_path: Path, flags: list[str], passed: list[str], failed: list[str]
) -> None:
    (tmp_path / "resource.json").write_text(json.dumps(RESOURCE))
    (tmp_path / "items.jsonl").write_text(
        '{"id": "a", "live": true}\n{"id": "b", "live": false}\n{"id": null, "live": true}\n'
    )
    (tmp_path / "env.json").write_text(json.dumps({"STAGE": "prod"}))

    code, output = _invoke(
        "--resource",
        str(tmp_path / "resource.json"),
        "--items",
        str(tmp_path / "items.jsonl"),
        "--env-file",
        str(tmp_path / "env.json"),
        "--json",
        *flags,
    )

    result = json.loads(output)
    assert code == 0
    assert [e["identifier"] for e in result["passed"]] == passed
    assert [e["identifier"] for e in result["failed"]] == failed
    assert result["passed"][0]["title"] == "prod-a"
    assert (result["skipped"], result["errors"]) == (1, 0)
    assert result["misconfigurations"] == {"properties.url": ".url", "identifier": ".id"}


def test_an_invalid_resource_is_named_without_a_traceback(tmp_path: Path) -> None:
    resource = {"kind": "x", "port": {"entity": {"mappings": {"identifier": ".id"}}}}
    (tmp_path / "resource.json").write_text(json.dumps(resource))
    (tmp_path / "items.json").write_text("[]")

    result = CliRunner().invoke(
        cli,
        [
            "map",
            "--resource",
            str(tmp_path / "resource.json"),
            "--items",
            str(tmp_path / "items.json"),
        ],
    )

    assert result.exit_code == 2
    assert "port.entity.mappings.blueprint: required, missing" in result.output
    assert "Traceback" not in result.output


@needs_shared
def test_case_file_is_checked_against_the_original() -> None:
    code, output = _invoke("--case", str(CASES / "selector-non-boolean-errors.json"))

    assert code == 0
    assert "matches the original" in output


def test_folder_mode_explains_each_sample_item(workspace: Workspace, tmp_path: Path) -> None:
    sample = tmp_path / "sample.json"
    sample.write_text(
        json.dumps([{"id": "ok", "name": "Ok", "url": "u"}, {"id": "", "name": "Empty"}])
    )

    code, output = _invoke(
        str(workspace.folder),
        "--kind",
        "service",
        "--sample",
        str(sample),
        "--json",
        env=workspace.environ,
    )

    lines = [json.loads(line) for line in output.splitlines()]
    assert code == 0
    assert [line["outcome"] for line in lines] == ["entity", "empty-identifier"]
    assert lines[1]["misconfigured"] == {
        "properties.url": ".url",
        "properties.stars": ".stars",
        "relations.team": ".team",
    }


def test_folder_mode_maps_live_items_from_the_handlers(workspace: Workspace) -> None:
    workspace.set_data(
        services=[[{"id": "live-1", "name": "Live", "url": "u", "stars": 2, "team": "core"}]],
        teams=[],
    )

    code, output = _invoke(
        str(workspace.folder), "--kind", "service", "--json", env=workspace.environ
    )

    (line,) = [json.loads(line) for line in output.splitlines()]
    assert code == 0
    assert line["outcome"] == "entity" and line["entity"]["identifier"] == "live-1"
