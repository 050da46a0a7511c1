"""Which catalog a run writes to: ``--catalog`` first, then a ``port:`` section with
credentials (the original's ``config.yaml``), then the embedded catalog; and what the
integration's configuration is made of."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest

from ocean.errors import ConfigError
from ocean.sail import DEFAULT_CATALOG, PORT_API, prepare

MAIN = """
from ocean import Integration

ocean = Integration()

@ocean.on_resync("thing")
async def things(kind):
    return []
"""
PORT_SECTION = """
port:
  clientId: "{{ from env PORT_CLIENT_ID }}"
  clientSecret: "{{ from env PORT_CLIENT_SECRET }}"
  baseUrl: "{{ from env PORT_BASE_URL }}"
"""
PORT = {"PORT_BASE_URL": "http://127.0.0.1:9", "PORT_CLIENT_ID": "id"}


@pytest.mark.parametrize(
    ("environ", "overrides", "catalog", "credentials"),
    [
        (PORT | {"PORT_CLIENT_SECRET": "s"}, {"catalog": {"url": "sqlite:///c.db"}},
         "sqlite:///c.db", ("id", "s")),
        (PORT | {"PORT_CLIENT_SECRET": "s", "OCEAN__CATALOG__URL": "sqlite:///e.db"}, {},
         "sqlite:///e.db", ("id", "s")),
        (PORT | {"PORT_CLIENT_SECRET": "s"}, {}, "http://127.0.0.1:9", ("id", "s")),
        ({"PORT_CLIENT_ID": "id", "PORT_CLIENT_SECRET": "s"}, {}, PORT_API, ("id", "s")),
        (PORT, {"catalog": {"url": "sqlite:///c.db"}}, "sqlite:///c.db", None),
        ({}, {}, DEFAULT_CATALOG, None),
    ],
    ids=["--catalog", "environment", "port-section", "port-section-without-base-url",
         "--catalog-without-secret", "no-port-section"],
)  # fmt: skip
def test_the_catalog_named_on_the_command_line_wins_over_the_port_section(
    tmp_path: Path,
    environ: dict[str, str],
    overrides: dict[str, Any],
    catalog: str,
    credentials: tuple[str, str] | None,
) -> None:
    _folder(tmp_path, PORT_SECTION)

    sail = prepare(tmp_path, environ=environ, overrides=overrides)

    assert (sail.catalog_url, sail.credentials) == (catalog, credentials)


@pytest.mark.parametrize(
    ("environ", "named"),
    [
        (PORT, ["OCEAN__PORT__CLIENT_SECRET (config.yaml reads it from PORT_CLIENT_SECRET"]),
        ({"PORT_CLIENT_SECRET": "s"}, ["OCEAN__PORT__CLIENT_ID (config.yaml reads it from PORT_CLIENT_ID"]),
        ({"OCEAN__PORT__BASE_URL": "http://127.0.0.1:9"},
         ["OCEAN__PORT__CLIENT_ID", "OCEAN__PORT__CLIENT_SECRET"]),
    ],
    ids=["without-secret", "without-id", "base-url-alone"],
)  # fmt: skip
def test_port_settings_without_both_credentials_are_refused_naming_what_to_set(
    tmp_path: Path, environ: dict[str, str], named: list[str]
) -> None:
    _folder(tmp_path, PORT_SECTION)

    sail = prepare(tmp_path, environ=environ, overrides={})

    with pytest.raises(ConfigError) as raised:
        sail.catalog_url  # noqa: B018 (the property refuses)

    message = str(raised.value)
    assert "the settings name the Port API" in message
    assert all(name in message for name in named)
    assert "or choose another catalog with --catalog or OCEAN__CATALOG__URL" in message


SPEC = """
type: demo
configurations:
  - {name: apiToken, type: string, required: true, sensitive: true}
  - {name: region, type: string, default: eu}
"""


@pytest.mark.parametrize(
    ("environ", "config_yaml", "expected"),
    [
        ({"OCEAN__INTEGRATION__CONFIG__REGION": "env"}, "", "override"),
        ({}, "integration:\n  config:\n    region: file\n", "override"),
        ({"OCEAN__INTEGRATION__CONFIG": '{"region": "env"}'}, "", "override"),
    ],
    ids=["environment", "config.yaml", "json-variable"],
)
def test_config_override_wins_over_the_environment_and_config_yaml(
    tmp_path: Path, environ: dict[str, str], config_yaml: str, expected: str
) -> None:
    _folder(tmp_path, config_yaml, SPEC)
    overrides = {"integration": {"config": {"api_token": "t", "region": "override"}}}

    sail = prepare(tmp_path, environ=environ, overrides=overrides)

    assert sail.folder.integration.integration_config["region"] == expected


def test_a_required_field_from_an_unset_variable_names_that_variable(tmp_path: Path) -> None:
    _folder(tmp_path, "integration:\n  config:\n    apiToken: '{{ from env MY_TOKEN }}'\n", SPEC)

    with pytest.raises(ConfigError) as raised:
        prepare(tmp_path, environ={}, overrides={})

    assert (
        "apiToken: required, not set: config.yaml reads it from the environment variable "
        "MY_TOKEN, which is not set (set MY_TOKEN, or OCEAN__INTEGRATION__CONFIG__API_TOKEN)"
    ) in str(raised.value)


@pytest.mark.parametrize(
    ("environ", "pyproject", "identifier"),
    [
        ({}, None, "my-notes-integration"),  # the folder's name, not the spec's `type`
        ({}, '[project]\nname = "Tickets"\n', "my-tickets-integration"),
        ({"OCEAN__INTEGRATION__TYPE": "GitHub"}, None, "my-github-integration"),
        ({"OCEAN__INTEGRATION__IDENTIFIER": "Mine"}, None, "Mine"),
    ],
    ids=["folder", "pyproject", "type-variable", "identifier-variable"],
)
def test_the_identifier_is_made_of_the_type_lower_cased_as_the_original(
    tmp_path: Path,
    environ: dict[str, str],
    pyproject: str | None,
    identifier: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A type given with capitals, which an earlier Ocean kept as written, is said
    lower-cased: what was written under it is another owner's now."""
    folder = tmp_path / "Notes"
    _folder(folder, "", "type: something-else\n")
    if pyproject is not None:
        (folder / "pyproject.toml").write_text(pyproject)

    with caplog.at_level(logging.WARNING, logger="ocean.sail"):
        prepared = prepare(folder, environ=environ, overrides={})

    assert prepared.owner.identifier == identifier
    warned = "lower-cased, as port-ocean does" in caplog.text  # (a folder's name was before)
    assert warned == ("OCEAN__INTEGRATION__TYPE" in environ)


def _folder(path: Path, config_yaml: str, spec: str | None = None) -> None:
    (path / ".port" / "resources").mkdir(parents=True)
    (path / "main.py").write_text(MAIN)
    (path / "config.yaml").write_text(config_yaml)
    (path / ".port" / "resources" / "port-app-config.yml").write_text("resources: []\n")
    if spec is not None:
        (path / ".port" / "spec.yaml").write_text(spec)
