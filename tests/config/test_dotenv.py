"""``.env`` files under the real environment (``ocean sail``), never in ``ocean.testing``."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from ocean.config.dotenv import parse_dotenv
from ocean.errors import ConfigError
from ocean.sail import prepare
from ocean.testing import resync

MAIN = """
from ocean import Integration

ocean = Integration()

@ocean.on_resync("thing")
async def things(kind):
    return [{"id": ocean.integration_config["api_token"]}]
"""
SPEC = """
type: things
configurations:
  - name: apiToken
    type: string
    required: true
  - name: pageSize
    type: integer
    default: 100
"""
MAPPING = """
resources:
  - kind: thing
    port:
      entity:
        mappings:
          identifier: .id
          blueprint: '"thing"'
"""
BLUEPRINTS = '[{"identifier": "thing", "title": "Thing", "schema": {"properties": {}}}]'


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "things"
    (folder / ".port/resources").mkdir(parents=True)
    (folder / "main.py").write_text(MAIN)
    (folder / ".port/spec.yaml").write_text(SPEC)
    (folder / ".port/resources/port-app-config.yml").write_text(MAPPING)
    (folder / ".port/resources/blueprints.json").write_text(BLUEPRINTS)
    monkeypatch.chdir(tmp_path)  # a working directory without a .env
    return folder


def _config(folder: Path, environ: dict[str, str]) -> dict[str, object]:
    return prepare(folder, environ=environ, overrides={}).folder.integration.integration_config


def test_a_variable_only_in_the_folders_env_configures_the_integration(folder: Path) -> None:
    (folder / ".env").write_text(
        "# Copied from .env.example\n"
        "OCEAN__INTEGRATION__CONFIG__API_TOKEN=from-dotenv\n"
        "export OCEAN__INTEGRATION__CONFIG__PAGE_SIZE='7'  # a comment\n"
    )

    assert _config(folder, {}) == {"api_token": "from-dotenv", "page_size": 7}


def test_the_environment_wins_over_env_files(folder: Path) -> None:
    (folder / ".env").write_text("OCEAN__INTEGRATION__CONFIG__API_TOKEN=from-dotenv\n")

    config = _config(folder, {"OCEAN__INTEGRATION__CONFIG__API_TOKEN": "from-environment"})

    assert config["api_token"] == "from-environment"


def test_the_working_directorys_env_is_read_and_wins_over_the_folders(
    folder: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    (folder / ".env").write_text(
        "OCEAN__INTEGRATION__CONFIG__API_TOKEN=folder\nOCEAN__INTEGRATION__CONFIG__PAGE_SIZE=3\n"
    )
    (tmp_path / ".env").write_text("OCEAN__INTEGRATION__CONFIG__API_TOKEN=working-directory\n")

    assert _config(folder, {}) == {"api_token": "working-directory", "page_size": 3}


def test_env_settings_reach_ocean_s_own_settings_too(folder: Path) -> None:
    (folder / ".env").write_text(
        "OCEAN__INTEGRATION__CONFIG__API_TOKEN=t\nOCEAN__EVENT_LISTENER__TYPE=ONCE\n"
    )

    assert prepare(folder, environ={}, overrides={}).settings.event_listener.type == "ONCE"


def test_ocean_testing_does_not_read_env_files(folder: Path) -> None:
    (folder / ".env").write_text("OCEAN__INTEGRATION__CONFIG__API_TOKEN=from-dotenv\n")

    synced = resync(folder, config={"api_token": "from-test"})

    assert synced.status == "completed", synced.errors
    assert list(synced.entities["thing"]) == ["from-test"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("A=1\nB = two words \n", {"A": "1", "B": "two words"}),
        ("A=x # comment\nB=x#not-a-comment\n", {"A": "x", "B": "x#not-a-comment"}),
        ("A='$HOME #kept'\nB=\"line\\nnext \\\"q\\\"\"\n", {"A": "$HOME #kept", "B": 'line\nnext "q"'}),
        ('KEY="-----BEGIN\nabc\n-----END"\nNEXT=1', {"KEY": "-----BEGIN\nabc\n-----END", "NEXT": "1"}),
        ("\n  # only comments\r\n\nexport A=\nB=\r\n", {"A": "", "B": ""}),
        ("H=h\nA=${H}/a\nB=\"${NOPE:-d}\"\nC='${H}'\nD=${E}\n", {"H": "h", "A": "h/a", "B": "d", "C": "${H}", "D": "e"}),
    ],
    ids=["bare", "inline-comment", "quotes", "multi-line", "comments-and-empty", "expanded"],
)  # fmt: skip
def test_the_common_dotenv_syntax(text: str, expected: dict[str, str]) -> None:
    assert parse_dotenv(text, environ={"E": "e"}) == expected


def test_an_env_file_gives_only_ocean_settings_not_config_yaml_s_variables(folder: Path) -> None:
    (folder / "config.yaml").write_text(
        "integration:\n  config:\n    apiToken: '{{ from env API_TOKEN }}'\n"
    )
    (folder / ".env").write_text(
        "API_TOKEN=someone-elses\nOCEAN__INTEGRATION__CONFIG__PAGE_SIZE=9\n"
    )

    config = _config(folder, {"OCEAN__INTEGRATION__CONFIG__API_TOKEN": "mine"})

    assert config == {"api_token": "mine", "page_size": 9}


def test_a_line_that_is_not_key_value_is_skipped_naming_its_line_not_its_text(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.WARNING):
        values = parse_dotenv("A=1\nsecret-token-text\nB=2\n", "x/.env")

    assert values == {"A": "1", "B": "2"}
    assert "x/.env:2: not KEY=VALUE, ignored" in caplog.text
    assert "secret-token-text" not in caplog.text


def test_an_env_file_that_is_not_utf8_is_named(folder: Path) -> None:
    (folder / ".env").write_bytes(b"A=caf\xe9\n")

    with pytest.raises(ConfigError, match=r"\.env is not UTF-8"):
        prepare(folder, environ={}, overrides={})
