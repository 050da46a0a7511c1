"""Integration configuration from spec.yaml, the environment and config.yaml."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import msgspec
import pytest

from ocean.config.config_file import read_config_file
from ocean.config.spec import (
    IntegrationSpec,
    build_integration_config,
    load_spec,
    sensitive_values,
)
from ocean.errors import ConfigError

SPEC = msgspec.convert(
    {
        "configurations": [
            {"name": "apiToken", "type": "string", "required": True},
            {"name": "pageSize", "type": "integer", "default": 100},
            {"name": "verify", "type": "boolean", "default": True},
            {"name": "labels", "type": "object", "default": {}},
            {"name": "apiUrl", "type": "url", "default": "https://api.example.com/"},
        ]
    },
    IntegrationSpec,
)


@pytest.mark.parametrize(
    ("environ", "from_file", "expected"),
    [
        pytest.param(
            {"OCEAN__INTEGRATION__CONFIG__API_TOKEN": "t"},
            {},
            {
                "api_token": "t",
                "page_size": 100,
                "verify": True,
                "labels": {},
                "api_url": "https://api.example.com",
            },
            id="defaults",
        ),
        pytest.param(
            {
                "OCEAN__INTEGRATION__CONFIG__API_TOKEN": "env",
                "OCEAN__INTEGRATION__CONFIG__PAGE_SIZE": "5",
            },
            {"apiToken": "file", "verify": "false"},
            {"api_token": "env", "page_size": 5, "verify": False},
            id="env-wins-over-file",
        ),
        pytest.param(
            {},
            {"apiToken": "f", "labels": '{"a": 1}'},
            {"api_token": "f", "labels": {"a": 1}},
            id="json-object-from-string",
        ),
    ],
)
def test_config_is_typed_and_snake_cased(
    environ: dict[str, str], from_file: dict[str, Any], expected: dict[str, Any]
) -> None:
    config = build_integration_config(SPEC, environ=environ, from_file=from_file)

    assert {key: config[key] for key in expected} == expected


def test_every_problem_is_reported_at_once() -> None:
    environ = {
        "OCEAN__INTEGRATION__CONFIG__PAGE_SIZE": "many",
        "OCEAN__INTEGRATION__CONFIG__API_URL": "nope",
    }

    with pytest.raises(ConfigError) as raised:
        build_integration_config(SPEC, environ=environ, from_file={})

    message = str(raised.value)
    assert "apiToken: required, not set (set OCEAN__INTEGRATION__CONFIG__API_TOKEN" in message
    assert "pageSize: expected an integer, got 'many'" in message
    assert "apiUrl: expected a URL" in message


@pytest.mark.parametrize(
    ("environ", "heading"),
    [
        ({"OCEAN__INTEGRATION__CONFIG__PAGE_SIZE": "many"}, "incomplete or invalid"),
        ({"OCEAN__INTEGRATION__CONFIG__API_TOKEN": "t",
          "OCEAN__INTEGRATION__CONFIG__PAGE_SIZE": "many"}, "invalid"),
        ({}, "incomplete"),
    ],
    ids=["unset-and-wrong", "wrong", "unset"],
)  # fmt: skip
def test_the_errors_heading_says_whether_values_are_missing_or_wrong(
    environ: dict[str, str], heading: str
) -> None:
    with pytest.raises(ConfigError, match=f"^the integration configuration is {heading}:"):
        build_integration_config(SPEC, environ=environ, from_file={})


def test_a_sensitive_value_is_not_shown_in_its_error() -> None:
    spec = msgspec.convert(
        {"configurations": [{"name": "webhookUrl", "type": "url", "sensitive": True}]},
        IntegrationSpec,
    )
    environ = {"OCEAN__INTEGRATION__CONFIG__WEBHOOK_URL": "s3cr3t-token"}

    with pytest.raises(ConfigError) as raised:
        build_integration_config(spec, environ=environ, from_file={})

    assert "webhookUrl: not a valid url (sensitive: not shown)" in str(raised.value)
    assert "s3cr3t" not in str(raised.value)


def test_config_file_templates_come_from_the_environment(tmp_path: Path) -> None:
    path = tmp_path / "config.yaml"
    path.write_text(
        "integration:\n  identifier: '{{ from env ID }}'\n  config:\n    apiToken: '{{ from env TOKEN }}'\n    repoCount: 5\n"
    )

    loaded = read_config_file(path, {"ID": "my-id"}).values

    assert loaded == {"integration": {"identifier": "my-id", "config": {"repo_count": 5}}}


@pytest.mark.parametrize(
    ("environ", "from_file", "overrides", "expected"),
    [
        pytest.param(
            {"OCEAN__INTEGRATION__CONFIG__API_TOKEN": "env"}, {"apiToken": "file"},
            {"api_token": "override"}, "override", id="override-over-env-and-file",
        ),
        pytest.param(
            {"OCEAN__INTEGRATION__CONFIG": '{"apiToken": "env-json"}'}, {},
            {"apiToken": "override"}, "override", id="override-over-env-json",
        ),
        pytest.param(
            {"OCEAN__INTEGRATION__CONFIG__API_TOKEN": "env"}, {"apiToken": "file"}, {},
            "env", id="env-over-file",
        ),
    ],
)  # fmt: skip
def test_overrides_win_over_the_environment_for_the_integration_config(
    environ: dict[str, str], from_file: dict[str, Any], overrides: dict[str, Any], expected: str
) -> None:
    config = build_integration_config(
        SPEC, environ=environ, from_file=from_file, overrides=overrides
    )

    assert config["api_token"] == expected


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        pytest.param(
            {"OCEAN__INTEGRATION__CONFIG": '{"apiToken": "t", "labels": {"a": 1}}'},
            {"api_token": "t", "labels": {"a": 1}},
            id="whole-config",
        ),
        pytest.param(
            {"OCEAN__INTEGRATION": '{"config": {"api_token": "t", "pageSize": "7"}}'},
            {"api_token": "t", "page_size": 7},
            id="integration-section",
        ),
        pytest.param(
            {
                "OCEAN__INTEGRATION__CONFIG": '{"apiToken": "json", "pageSize": 3}',
                "OCEAN__INTEGRATION__CONFIG__API_TOKEN": "nested",
            },
            {"api_token": "nested", "page_size": 3},
            id="nested-variable-wins",
        ),
    ],
)
def test_the_config_may_be_one_json_variable(
    environ: dict[str, str], expected: dict[str, Any]
) -> None:
    config = build_integration_config(SPEC, environ=environ, from_file={})

    assert {key: config[key] for key in expected} == expected


@pytest.mark.parametrize(
    ("variable", "expected"),
    [
        ("OCEAN__INTEGRATION__CONFIG__API_URL", "https://api.example.com"),
        ("OCEAN__INTEGRATION__CONFIG__PAGE_SIZE", 100),
        ("OCEAN__INTEGRATION__CONFIG__VERIFY", True),
    ],
)
def test_an_empty_variable_keeps_the_spec_default(variable: str, expected: Any) -> None:
    environ = {"OCEAN__INTEGRATION__CONFIG__API_TOKEN": "t", variable: ""}

    config = build_integration_config(SPEC, environ=environ, from_file={})

    key = variable.removeprefix("OCEAN__INTEGRATION__CONFIG__").lower()
    assert config[key] == expected


def test_an_empty_variable_keeps_the_config_files_value() -> None:
    environ = {
        "OCEAN__INTEGRATION__CONFIG__API_TOKEN": "t",
        "OCEAN__INTEGRATION__CONFIG__PAGE_SIZE": "",
    }

    config = build_integration_config(SPEC, environ=environ, from_file={"pageSize": 7})

    assert config["page_size"] == 7


@pytest.mark.parametrize(
    ("word", "expected"),
    [("t", True), ("T", True), ("y", True), ("on", True), ("yes", True),
     ("f", False), ("n", False), ("off", False), ("No", False), ("0", False)],
)  # fmt: skip
def test_a_boolean_field_takes_pydantic_s_words(word: str, expected: bool) -> None:
    environ = {
        "OCEAN__INTEGRATION__CONFIG__API_TOKEN": "t",
        "OCEAN__INTEGRATION__CONFIG__VERIFY": word,
    }

    config = build_integration_config(SPEC, environ=environ, from_file={})

    assert config["verify"] is expected


@pytest.mark.parametrize(
    ("value", "masked"),
    [
        pytest.param("abc123-secret", ["abc123-secret"], id="a-string-whole"),
        pytest.param(
            {"glpat-AbCdEfGh1234567890xyz": ["my-org/platform", "push_events"]},
            ["glpat-AbCdEfGh1234567890xyz"],
            id="a-token-mapping-its-tokens",
        ),
        pytest.param(
            {
                "prod": {
                    "bootstrap.servers": "b-1.kafka:9092",
                    "sasl.mechanism": "PLAIN",
                    "sasl.password": "Hunter2-Kafka!",
                }
            },
            ["b-1.kafka:9092", "Hunter2-Kafka!"],
            id="a-cluster-mapping-its-secret-like-values",
        ),  # fmt: skip
    ],
)
def test_a_sensitive_object_masks_what_looks_like_a_secret_not_its_names(
    value: Any, masked: list[str]
) -> None:
    spec = msgspec.convert(
        {"configurations": [{"name": "mapping", "type": "object", "sensitive": True}]},
        IntegrationSpec,
    )
    if isinstance(value, str):
        spec = msgspec.convert(
            {"configurations": [{"name": "mapping", "type": "string", "sensitive": True}]},
            IntegrationSpec,
        )

    assert sensitive_values(spec, {"mapping": value}) == masked


def test_an_invalid_default_is_said_to_be_the_spec_s() -> None:
    spec = msgspec.convert(
        {"configurations": [{"name": "pageSize", "type": "integer", "default": "abc"}]},
        IntegrationSpec,
    )

    with pytest.raises(ConfigError) as raised:
        build_integration_config(spec, environ={}, from_file={})

    assert str(raised.value).endswith(
        "pageSize: expected an integer, got 'abc' (the default in .port/spec.yaml: fix it "
        "there, or set OCEAN__INTEGRATION__CONFIG__PAGE_SIZE)"
    )


def test_an_unknown_key_of_a_field_is_named_with_the_known_ones(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    (tmp_path / "spec.yaml").write_text(
        "configurations:\n"
        "  - {name: apiToken, type: string, requried: true}\n"
        "  - {name: host, type: url, description: The API, example: https://x.io}\n"
    )

    spec = load_spec(tmp_path)

    assert spec.configurations[0].required is False
    assert caplog.messages == [
        f"{tmp_path / 'spec.yaml'}: configuration 'apiToken' has the unknown key 'requried', "
        "which is ignored; did you mean 'required'? "
        "(known: name, type, required, default, sensitive, description)"
    ]


@pytest.mark.parametrize(
    ("field_type", "value", "said"),
    [
        pytest.param("url", "https://", "expected a URL such as", id="url-without-host"),
        pytest.param("url", "https:// api.example.com", "expected a URL such as", id="url-space"),
        pytest.param("url", "localhost:8080", "expected a URL such as", id="url-no-scheme"),
        pytest.param("string", {"a": 1}, "expected text, got an object", id="object-as-text"),
        pytest.param("string", ["a", "b"], "expected text, got a list", id="list-as-text"),
        pytest.param("integer", 5.5, "expected an integer, got 5.5", id="fraction-as-integer"),
        pytest.param("integer", "+-5", "expected an integer, got '+-5'", id="two-signs"),
    ],
)
def test_a_value_the_original_refuses_for_its_type_is_refused_naming_the_field(
    field_type: str, value: Any, said: str
) -> None:
    spec = msgspec.convert(
        {"configurations": [{"name": "target", "type": field_type}]}, IntegrationSpec
    )

    with pytest.raises(ConfigError) as raised:
        build_integration_config(spec, environ={}, from_file={"target": value})

    assert f"target: {said}" in str(raised.value)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("https://api.example.com/", "https://api.example.com"),
        (" http://localhost:8080/v1/ ", "http://localhost:8080/v1"),
        ("https://user:pw@[::1]:9/", "https://user:pw@[::1]:9"),
    ],
)
def test_a_url_loses_its_trailing_slash(value: str, expected: str) -> None:
    spec = msgspec.convert({"configurations": [{"name": "target", "type": "url"}]}, IntegrationSpec)

    config = build_integration_config(spec, environ={}, from_file={"target": value})

    assert config["target"] == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [("+50", 50), (" -7 ", -7), (5.0, 5), ("12", 12), (3, 3)],
)
def test_an_integer_field_takes_what_pydantic_takes_without_loss(value: Any, expected: int) -> None:
    spec = msgspec.convert(
        {"configurations": [{"name": "target", "type": "integer"}]}, IntegrationSpec
    )

    config = build_integration_config(spec, environ={}, from_file={"target": value})

    assert config["target"] == expected
    assert type(config["target"]) is int
