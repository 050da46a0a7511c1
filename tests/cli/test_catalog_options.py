"""What the ``ocean catalog`` commands do with their options: the Port credentials they
open the catalog with, the times ``audit`` compares, and the values refused as usage."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from ocean.cli.main import cli
from ocean.errors import StoreError

_CREDENTIALS = {"OCEAN__PORT__CLIENT_ID": "the-id", "OCEAN__PORT__CLIENT_SECRET": "the-secret"}


@pytest.mark.parametrize(
    "args",
    [
        pytest.param(["catalog", "blueprints"], id="blueprints"),
        pytest.param(["catalog", "entities"], id="entities"),
        pytest.param(["catalog", "show", "service", "svc-0"], id="show"),
        pytest.param(["catalog", "runs"], id="runs"),
        pytest.param(["catalog", "resync", "github"], id="resync"),
        pytest.param(["catalog", "audit"], id="audit"),
        pytest.param(["actions", "list"], id="actions-list"),
    ],
)
def test_catalog_commands_open_a_port_catalog_with_the_port_credentials(
    monkeypatch: pytest.MonkeyPatch, args: list[str]
) -> None:
    opened: list[Any] = []

    async def recording_open(url: str, **options: Any) -> Any:
        opened.append((url, options.get("credentials")))
        raise StoreError("stopped after opening")

    monkeypatch.setattr("ocean.store.open.open_store", recording_open)  # (opened on use)
    url = "https://api.example.test"

    result = CliRunner().invoke(cli, [*args, "--catalog", url], env=_CREDENTIALS)

    assert result.exit_code == 2, result.output
    assert opened == [(url, ("the-id", "the-secret"))]


@pytest.mark.parametrize(
    ("config", "env"),
    [
        pytest.param("catalog:\n  url: {url}\n", {}, id="config-yaml"),
        pytest.param(
            "catalog:\n  url: '{{{{ from env DATABASE_URL }}}}'\n",
            {"DATABASE_URL": "{url}"},
            id="config-yaml-template",
        ),  # fmt: skip
        pytest.param("", {"ocean__catalog__url": "{url}"}, id="lower-case-variable"),
        pytest.param("", {"OCEAN__CATALOG": '{{"url": "{url}"}}'}, id="section-as-json"),
        pytest.param(
            "catalog:\n  url: sqlite:///elsewhere.db\n",
            {"OCEAN__CATALOG__URL": "{url}"},
            id="variable-over-config-yaml",
        ),  # fmt: skip
    ],
)
def test_catalog_commands_read_the_catalog_url_as_the_sail_does(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, config: str, env: dict[str, str]
) -> None:
    """A catalog named in config.yaml or spelled another way ``ocean sail`` takes is the
    one ``ocean catalog`` reads (not the default file: an empty catalog, a wrong answer)."""
    url = f"sqlite:///{tmp_path}/kept/catalog.db"
    (tmp_path / "config.yaml").write_text(config.format(url=url))
    monkeypatch.chdir(tmp_path)
    for name in ("OCEAN__CATALOG__URL", "OCEAN__CATALOG"):
        monkeypatch.delenv(name, raising=False)

    environ = {name: value.format(url=url) for name, value in env.items()}
    result = CliRunner().invoke(cli, ["catalog", "entities"], env={**_CREDENTIALS, **environ})

    assert result.exit_code == 2
    assert f"there is no catalog at {tmp_path}/kept/catalog.db" in result.output


def test_a_port_section_in_config_yaml_gives_the_commands_their_credentials(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    opened: list[Any] = []

    async def recording_open(url: str, **options: Any) -> Any:
        opened.append(options.get("credentials"))
        raise StoreError("stopped after opening")

    monkeypatch.setattr("ocean.store.open.open_store", recording_open)
    (tmp_path / "config.yaml").write_text("port:\n  clientId: the-id\n  clientSecret: s\n")
    monkeypatch.chdir(tmp_path)
    for name in _CREDENTIALS:
        monkeypatch.delenv(name, raising=False)

    result = CliRunner().invoke(cli, ["catalog", "entities", "--catalog", "https://p.test"])

    assert result.exit_code == 2, result.output
    assert opened == [("the-id", "s")]


@pytest.mark.parametrize(
    ("given", "compared"),
    [
        pytest.param("2024-01-01", "2024-01-01T00:00:00.000Z", id="date"),
        pytest.param("2024-01-01T10:00:00+02:00", "2024-01-01T08:00:00.000Z", id="offset"),
        pytest.param("2024-01-01T08:00:00.5Z", "2024-01-01T08:00:00.500Z", id="zulu"),
    ],
)
def test_audit_compares_since_and_until_as_the_log_stamps_its_times(
    monkeypatch: pytest.MonkeyPatch, given: str, compared: str
) -> None:
    seen: list[Any] = []

    async def reading(_url: str | None, wanted: Any) -> list[Any]:
        seen.append((wanted.since, wanted.until))
        return []

    monkeypatch.setattr("ocean.cli.audit._read", reading)

    result = CliRunner().invoke(cli, ["catalog", "audit", "--since", given, "--until", given])

    assert result.exit_code == 0, result.output
    assert seen == [(compared, compared)]


@pytest.mark.parametrize(
    ("args", "said"),
    [
        pytest.param(["catalog", "audit", "--since", "yesterday"], "--since must be an ISO-8601",
                     id="audit-since"),
        pytest.param(["catalog", "audit", "--until", "2024-13-01"], "--until must be an ISO-8601",
                     id="audit-until"),
        pytest.param(["catalog", "audit", "--limit", "-1"], "--limit", id="audit-limit"),
        pytest.param(["catalog", "runs", "--limit", "-1"], "--limit", id="runs-limit"),
        pytest.param(["catalog", "runs", "--id", "99999999999999999999"], "--id", id="runs-id"),
        pytest.param(["actions", "runs", "--limit", "-1"], "--limit", id="actions-runs-limit"),
        pytest.param(["catalog", "serve", "--port", "99999"], "--port", id="serve-port"),
        pytest.param(["actions", "run", "deploy", "--timeout", "-1"], "--timeout", id="run-timeout"),
    ],
)  # fmt: skip
def test_out_of_range_or_garbled_options_are_usage_errors_naming_the_option(
    tmp_path: Any, args: list[str], said: str
) -> None:
    result = CliRunner().invoke(cli, [*args, "--catalog", str(tmp_path / "c.db")])

    assert result.exit_code == 2, result.output
    assert said in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_serve_on_a_port_in_use_says_so_without_announcing_it_serves(tmp_path: Any) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = str(taken.getsockname()[1])
        command = ["serve", "--catalog", str(tmp_path / "c.db"), "--port", port]
        result = subprocess.run(
            [sys.executable, "-m", "ocean", "catalog", *command],
            capture_output=True, text=True, timeout=60,
        )  # fmt: skip

    assert result.returncode == 2, result.stderr
    assert "serving the catalog" not in result.stdout
    assert f"cannot serve at 127.0.0.1:{port}" in result.stderr
    assert "choose another --port" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("text", [pytest.param("{", id="truncated"), pytest.param("", id="empty")])
def test_actions_create_names_a_file_that_is_not_json(tmp_path: Any, text: str) -> None:
    (tmp_path / "action.json").write_text(text)

    result = CliRunner().invoke(
        cli,
        ["actions", "create", str(tmp_path / "action.json"), "--catalog", str(tmp_path / "c.db")],
    )

    assert result.exit_code == 2, result.output
    assert "action.json is not JSON" in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
