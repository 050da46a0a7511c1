"""``ocean map``: the mapping debugger."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
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


BLUEPRINT_CHECKS = [
    {
        "identifier": "service",
        "title": "Service",
        "schema": {
            "properties": {
                "url": {"type": "string", "format": "url"},
                "stars": {"type": "number"},
                "owner": {"type": "string", "format": "email"},
                "tier": {"type": "string", "enum": ["gold", "silver"]},
            }
        },
        "relations": {"team": {"target": "team", "many": False, "required": False}},
    },
    {"identifier": "team", "title": "Team", "schema": {"properties": {}}, "relations": {}},
]
GOOD = {"id": "ok", "name": "Ok", "url": "https://x", "stars": 1, "owner": "a@b.io", "tier": "gold", "team": "core"}  # fmt: skip


def _checked_workspace(workspace: Workspace, blueprint: str = '"service"') -> None:
    (workspace.folder / ".port/resources/blueprints.json").write_text(json.dumps(BLUEPRINT_CHECKS))
    mappings = {"identifier": ".id", "title": ".name", "blueprint": blueprint,
                "properties": {"url": ".url", "stars": ".stars", "owner": ".owner", "tier": ".tier"},
                "relations": {"team": ".team"}}  # fmt: skip
    workspace.set_mapping(
        {
            "resources": [
                {
                    "kind": "service",
                    "selector": {"query": "true"},
                    "port": {"entity": {"mappings": mappings}},
                }
            ]
        }  # fmt: skip
    )


@pytest.mark.parametrize(
    ("item", "blueprint", "problem"),
    [
        pytest.param({}, '"service"', None, id="valid"),
        pytest.param({}, '"servise"', "blueprint 'servise' is not in", id="unknown-blueprint"),
        pytest.param({"tier": "bronze"}, '"service"', "'bronze' is not one of ['gold', 'silver']", id="enum"),
        pytest.param({"stars": "many"}, '"service"', "property 'stars': expected number, got string", id="type"),
        pytest.param({"owner": "nobody"}, '"service"', "'nobody' is not a valid email", id="email"),
        pytest.param({"url": "x.io"}, '"service"', "'x.io' is not a valid url", id="format"),
        pytest.param({"team": ["a", "b"]}, '"service"', "relation 'team' is single", id="relation"),
        pytest.param({"id": "has space"}, '"service"', "may hold only letters", id="identifier"),
    ],
)  # fmt: skip
def test_entities_are_checked_against_the_blueprints_as_sail_checks_them(
    workspace: Workspace,
    tmp_path: Path,
    item: dict[str, object],
    blueprint: str,
    problem: str | None,
) -> None:
    _checked_workspace(workspace, blueprint)
    sample = tmp_path / "sample.json"
    sample.write_text(json.dumps([GOOD | item]))

    code, output = _invoke(str(workspace.folder), "--sample", str(sample), "--json",
                           env=workspace.environ)  # fmt: skip

    (line,) = [json.loads(line) for line in output.splitlines()]
    if problem is None:
        assert (code, line["outcome"], line["problems"]) == (0, "entity", [])
    else:
        assert (code, line["outcome"]) == (1, "invalid")
        assert any(problem in text for text in line["problems"]), line["problems"]


@pytest.mark.parametrize("as_json", [True, False])
def test_a_field_the_blueprint_does_not_define_is_said_to_be_dropped(
    workspace: Workspace, tmp_path: Path, as_json: bool
) -> None:
    _checked_workspace(workspace)
    mapping = yaml.safe_load((workspace.folder / ".port/resources/port-app-config.yml").read_text())
    mapping["resources"][0]["port"]["entity"]["mappings"]["properties"]["prNumber"] = ".id"
    workspace.set_mapping(mapping)
    sample = tmp_path / "sample.json"
    sample.write_text(json.dumps([GOOD]))

    code, output = _invoke(str(workspace.folder), "--sample", str(sample),
                           *(["--json"] if as_json else []), env=workspace.environ)  # fmt: skip

    assert code == 0, output
    if as_json:
        (line,) = [json.loads(line) for line in output.splitlines()]
        assert (line["outcome"], line["problems"]) == ("entity", [])
        assert line["undefined"] == ["properties.prNumber"]
    else:
        assert "properties.prNumber not defined by the blueprint: the catalog drops it" in output


def test_what_map_rejects_sail_rejects(workspace: Workspace, tmp_path: Path) -> None:
    import asyncio

    _checked_workspace(workspace)
    items = [GOOD, GOOD | {"id": "bad", "tier": "bronze"}]
    workspace.set_data(services=[items], teams=[])
    sample = tmp_path / "sample.json"
    sample.write_text(json.dumps(items))

    _, output = _invoke(
        str(workspace.folder), "--sample", str(sample), "--json", env=workspace.environ
    )
    report = asyncio.run(workspace.sail())

    outcomes = {json.loads(line)["entity"]["identifier"]: json.loads(line)["outcome"] for line in output.splitlines()}  # fmt: skip
    assert outcomes == {"ok": "entity", "bad": "invalid"}
    (kind,) = report.kinds
    assert (kind.created, kind.failed) == (1, 1)


def test_summary_prints_one_line_per_kind(workspace: Workspace, tmp_path: Path) -> None:
    _checked_workspace(workspace)
    sample = tmp_path / "sample.json"
    items = [
        GOOD,
        GOOD | {"id": "b", "tier": "bronze"},
        GOOD | {"id": "c", "tier": "bronze"},
        {"id": ""},
    ]
    sample.write_text(json.dumps(items))

    code, output = _invoke(
        str(workspace.folder), "--sample", str(sample), "--summary", env=workspace.environ
    )

    assert code == 1
    (line,) = output.splitlines()
    assert line.startswith(
        "service (resources[0]): 4 items: 1 entity, 2 invalid, 1 empty-identifier"
    )
    assert "most common problem (2x): property 'tier': 'bronze' is not one of" in line


@pytest.mark.parametrize(("limit", "shown"), [("0", 7), ("3", 3), ("20", 7)])
def test_limit_zero_maps_every_live_item(workspace: Workspace, limit: str, shown: int) -> None:
    workspace.set_data(services=[services_page(0, 4), services_page(4, 3)], teams=[])

    code, output = _invoke(str(workspace.folder), "--kind", "service", "--limit", limit, "--json",
                           env=workspace.environ)  # fmt: skip

    assert code == 0
    assert len(output.splitlines()) == shown


def services_page(start: int, count: int) -> list[dict[str, object]]:
    return [{"id": f"s{i}", "name": "S", "url": "u", "stars": 1, "team": "core"} for i in range(start, start + count)]  # fmt: skip


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(".name | foo(", "at line 1, column 12 of the expression:\n    .name | foo(\n               ^", id="syntax"),
        pytest.param(".name | nosuch", "nosuch/0 is not defined at line 1, column 9 of the expression:\n    .name | nosuch\n            ^^^^^^", id="undefined"),
    ],
)  # fmt: skip
def test_a_jq_error_points_at_the_user_s_expression(
    workspace: Workspace, tmp_path: Path, text: str, expected: str
) -> None:
    mappings = {"identifier": ".id", "blueprint": '"service"', "title": text}
    workspace.set_mapping(
        {"resources": [{"kind": "service", "port": {"entity": {"mappings": mappings}}}]}
    )
    sample = tmp_path / "sample.json"
    sample.write_text("[]")

    result = CliRunner().invoke(
        cli, ["map", str(workspace.folder), "--sample", str(sample)], env=workspace.environ
    )

    assert result.exit_code != 0
    assert expected in result.output
    assert "column 5" not in result.output.replace("column 5 of", "")  # nothing of the wrapper's


@pytest.mark.parametrize(
    ("allow", "title"),
    [("true", "prod-a"), ("false", "-a"), ("0", "-a"), ("FALSE", "-a")],  # env.STAGE: null
)
def test_env_file_honours_the_environment_access_setting(
    tmp_path: Path, allow: str, title: str | None
) -> None:
    (tmp_path / "resource.json").write_text(json.dumps(RESOURCE))
    (tmp_path / "items.json").write_text('[{"id": "a", "live": true}]')
    (tmp_path / "env.json").write_text(json.dumps({"STAGE": "prod"}))
    resource = [
        "--resource",
        str(tmp_path / "resource.json"),
        "--items",
        str(tmp_path / "items.json"),
    ]

    code, output = _invoke(*resource, "--env-file", str(tmp_path / "env.json"), "--json",
                           env={"OCEAN__ALLOW_ENVIRONMENT_VARIABLES_JQ_ACCESS": allow})  # fmt: skip

    assert code == 0
    assert json.loads(output)["passed"][0].get("title") == title


def test_env_file_applies_to_a_folder_too(workspace: Workspace, tmp_path: Path) -> None:
    mappings = {"identifier": ".id", "blueprint": '"service"', "title": "$ENV.STAGE"}
    workspace.set_mapping(
        {"resources": [{"kind": "service", "port": {"entity": {"mappings": mappings}}}]}
    )
    (tmp_path / "sample.json").write_text('[{"id": "a"}]')
    (tmp_path / "env.json").write_text(json.dumps({"STAGE": "prod"}))
    args = [str(workspace.folder), "--sample", str(tmp_path / "sample.json"), "--env-file", str(tmp_path / "env.json"), "--json"]  # fmt: skip

    allowed = _invoke(*args, env=workspace.environ)[1]
    denied = _invoke(
        *args, env=workspace.environ | {"OCEAN__ALLOW_ENVIRONMENT_VARIABLES_JQ_ACCESS": "false"}
    )[1]

    assert json.loads(allowed)["entity"]["title"] == "prod"
    assert json.loads(denied)["entity"]["title"] is None


@pytest.mark.parametrize(
    ("expect_null", "reported"),
    [
        pytest.param(None, {"properties.url", "properties.stars", "relations.team"}, id="none"),
        pytest.param(["properties.url"], {"properties.stars", "relations.team"}, id="one"),
        pytest.param(["properties.*", "relations.team"], set(), id="pattern"),
    ],
)
def test_expect_null_fields_are_not_reported_as_misconfigured(
    workspace: Workspace, tmp_path: Path, expect_null: list[str] | None, reported: set[str]
) -> None:
    resource = {"kind": "service", "selector": {"query": "true"},
                "port": {"entity": {"mappings": {"identifier": ".id", "title": ".name", "blueprint": '"service"',
                                                 "properties": {"url": ".url", "stars": ".stars"},
                                                 "relations": {"team": ".team"}}}}}  # fmt: skip
    if expect_null is not None:
        resource["expectNull"] = expect_null
    workspace.set_mapping({"resources": [resource]})
    (tmp_path / "sample.json").write_text('[{"id": "a", "name": "A"}]')

    code, output = _invoke(str(workspace.folder), "--sample", str(tmp_path / "sample.json"), "--json",
                           env=workspace.environ)  # fmt: skip

    assert code == 0
    assert set(json.loads(output)["misconfigured"]) == reported


def test_an_expect_null_entry_naming_no_field_is_an_error(
    workspace: Workspace, tmp_path: Path
) -> None:
    resource = {"kind": "service", "expectNull": ["properties.ulr"],
                "port": {"entity": {"mappings": {"identifier": ".id", "blueprint": '"service"',
                                                 "properties": {"url": ".url"}}}}}  # fmt: skip
    workspace.set_mapping({"resources": [resource]})
    (tmp_path / "sample.json").write_text("[]")

    result = CliRunner().invoke(cli, ["map", str(workspace.folder), "--sample", str(tmp_path / "sample.json")],
                                env=workspace.environ)  # fmt: skip

    assert result.exit_code != 0
    assert "expectNull: 'properties.ulr' names no mapped field" in result.output
    assert "properties.url" in result.output


_BAD_JQ = {
    **RESOURCE,
    "port": {"entity": {"mappings": {"identifier": ".id | ((", "blueprint": '"svc"'}}},
}


@pytest.mark.parametrize(
    ("files", "args", "said"),
    [
        pytest.param({"r.json": json.dumps(RESOURCE), "i.txt": "not json\n"},
                     ["--resource", "r.json", "--items", "i.txt"],
                     "i.txt is neither a JSON array nor JSON lines", id="items-garbled"),
        pytest.param({"r.json": json.dumps(_BAD_JQ), "i.json": "[]"},
                     ["--resource", "r.json", "--items", "i.json"],
                     "identifier: '.id | ((' does not compile", id="resource-jq-does-not-compile"),
        pytest.param({"c.json": "{"}, ["--case", "c.json"], "c.json is not JSON", id="case-garbled"),
        pytest.param({"c.json": '{"name": "x"}'}, ["--case", "c.json"],
                     "c.json lacks resource, items, parseAll, expected", id="case-missing-keys"),
        pytest.param({"r.json": json.dumps(RESOURCE), "i.json": "[]", "e.json": "{"},
                     ["--resource", "r.json", "--items", "i.json", "--env-file", "e.json"],
                     "e.json is not JSON", id="env-file-garbled"),
    ],
)  # fmt: skip
def test_unreadable_map_inputs_are_named_without_a_traceback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, files: dict[str, str], args: list[str],
    said: str,
) -> None:  # fmt: skip
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    monkeypatch.chdir(tmp_path)

    result = CliRunner().invoke(cli, ["map", *args])

    assert result.exit_code == 2, result.output
    assert said in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_a_folders_env_file_that_is_not_json_is_a_usage_error(
    workspace: Workspace, tmp_path: Path
) -> None:
    (tmp_path / "env.json").write_text("{")

    result = CliRunner().invoke(
        cli, ["map", str(workspace.folder), "--env-file", str(tmp_path / "env.json")],
        env=workspace.environ,
    )  # fmt: skip

    assert result.exit_code == 2, result.output
    assert "Invalid value for --env-file" in result.output
    assert "is not JSON" in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_text_that_looks_like_markup_is_printed_as_it_is(
    workspace: Workspace, tmp_path: Path
) -> None:
    sample = tmp_path / "sample.json"
    sample.write_text(json.dumps([{"id": "a[/b]", "name": "[bold]x", "url": "u"}]))

    code, output = _invoke(
        str(workspace.folder), "--kind", "service", "--sample", str(sample), env=workspace.environ
    )

    assert code == 1  # (the identifier is not one the catalog takes)
    assert "service/a[/b]" in output and "MarkupError" not in output


def test_a_field_whose_jq_failed_says_why_beside_one_that_gave_null(
    workspace: Workspace, tmp_path: Path
) -> None:
    resource = {"kind": "service", "selector": {"query": "true"},
                "port": {"entity": {"mappings": {"identifier": ".id", "blueprint": '"service"',
                                                 "properties": {"url": ".url", "stars": ".stars | tonumber"}}}}}  # fmt: skip
    workspace.set_mapping({"resources": [resource]})
    (tmp_path / "sample.json").write_text('[{"id": "a", "stars": "n/a"}]')
    sample = ("--sample", str(tmp_path / "sample.json"))

    code, output = _invoke(str(workspace.folder), *sample, "--json", env=workspace.environ)
    _, text = _invoke(str(workspace.folder), *sample, env=workspace.environ)

    assert code == 0
    line = json.loads(output)
    assert set(line["misconfigured"]) == {"properties.url", "properties.stars"}
    assert line["failures"] == {
        "properties.stars": 'failed: string ("n/a") cannot be parsed as a number'
    }
    assert "properties.url = '.url' gave null" in text
    assert "'.stars | tonumber' failed: string" in " ".join(text.split())
