"""Ocean's settings: config.yaml < OCEAN__* environment < command-line overrides."""

from __future__ import annotations

from typing import Any

import pytest

from ocean.config.settings import load_settings
from ocean.errors import ConfigError


def test_environment_strings_become_the_settings_types() -> None:
    environ = {
        "OCEAN__EVENT_LISTENER__INTERVAL": "30",
        "OCEAN__EVENT_LISTENER__RESYNC_ON_START": "false",
        "OCEAN__MAX_CONCURRENT_KINDS": "3",
        "OCEAN__SKIP_UNCHANGED_PAGES": "0",
        "OCEAN__ALLOW_ENVIRONMENT_VARIABLES_JQ_ACCESS": "Off",
        "OCEAN__EVENT_LISTENER__KAFKA_SECURITY_ENABLED": "yes",
        "UNRELATED": "x",
    }

    settings = load_settings(environ=environ, from_file={}, overrides={})

    assert settings.event_listener.interval == 30.0
    assert settings.event_listener.resync_on_start is False
    assert settings.max_concurrent_kinds == 3
    assert settings.skip_unchanged_pages is False
    assert settings.allow_environment_variables_jq_access is False
    assert settings.event_listener.kafka_security_enabled is True


def test_overrides_win_over_environment_which_wins_over_the_file() -> None:
    from_file = {"event_listener": {"type": "POLLING", "interval": 5}, "catalog": {"url": "a"}}
    environ = {"OCEAN__EVENT_LISTENER__TYPE": "ONCE", "OCEAN__CATALOG__URL": "b"}

    settings = load_settings(
        environ=environ, from_file=from_file, overrides={"catalog": {"url": "c"}}
    )

    assert (settings.event_listener.type, settings.event_listener.interval) == ("ONCE", 5)
    assert settings.catalog.url == "c"


def test_unknown_keys_of_the_original_config_are_ignored() -> None:
    from_file = {"send_raw_data_examples": True, "port": {"base_url": "u", "ttl": 3}}

    settings = load_settings(environ={}, from_file=from_file, overrides={})

    assert settings.port.base_url == "u"
    assert settings.transform_workers >= 1


@pytest.mark.parametrize(
    ("environ", "named"),
    [
        ({"OCEAN__EVENT_LISTENER__INTERVAL": "soon"}, "event_listener.interval"),
        ({"OCEAN__MAX_CONCURRENT_KINDS": "0"}, "max_concurrent_kinds"),
        ({"OCEAN__SKIP_UNCHANGED_PAGES": "perhaps"}, "skip_unchanged_pages"),
    ],
)
def test_a_bad_value_names_the_setting_and_its_variable(
    environ: dict[str, str], named: str
) -> None:
    with pytest.raises(ConfigError) as raised:
        load_settings(environ=environ, from_file={}, overrides={})

    message = str(raised.value)
    assert f"invalid Ocean settings: {named}: " in message
    assert f"OCEAN__{named.upper().replace('.', '__')}" in message


def test_a_section_that_is_not_a_mapping_is_refused() -> None:
    from_file: dict[str, Any] = {"event_listener": "ONCE"}

    with pytest.raises(ConfigError, match="event_listener: Expected `object`"):
        load_settings(environ={}, from_file=from_file, overrides={})


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        pytest.param(
            {"OCEAN__EVENT_LISTENER": '{"type": "ONCE"}'},
            {"event_listener.type": "ONCE", "event_listener.interval": 60},
            id="port-docker-example",
        ),
        pytest.param(
            {"OCEAN__INTEGRATION": '{"identifier": "x", "config": {"apiToken": "t"}}'},
            {"integration.identifier": "x", "integration.config": {"api_token": "t"}},
            id="integration-section",
        ),
        pytest.param(
            {"OCEAN__INTEGRATION__CONFIG": '{"tokenMapping": {"glpat-Ab": ["g/**"]}}'},
            {"integration.config": {"token_mapping": {"glpat-Ab": ["g/**"]}}},
            id="integration-config-values-verbatim",
        ),
        pytest.param(
            {
                "OCEAN__EVENT_LISTENER": '{"type": "ONCE", "interval": 5}',
                "OCEAN__EVENT_LISTENER__TYPE": "POLLING",
            },
            {"event_listener.type": "POLLING", "event_listener.interval": 5},
            id="nested-variable-wins-over-the-json",
        ),
        pytest.param(
            {"OCEAN__EVENT_LISTENER": '{"resyncOnStart": "no"}'},
            {"event_listener.resync_on_start": False},
            id="camel-case-key-and-boolean-word",
        ),
        pytest.param(
            {"OCEAN__EVENT_LISTENER": "", "OCEAN__EVENT_LISTENER__INTERVAL": "7"},
            {"event_listener.type": "POLLING", "event_listener.interval": 7},
            id="empty-section-sets-nothing",
        ),
    ],
)
def test_a_section_variable_holding_json_is_merged_with_the_nested_ones(
    environ: dict[str, str], expected: dict[str, Any]
) -> None:
    settings = load_settings(environ=environ, from_file={}, overrides={})

    for dotted, value in expected.items():
        section, name = dotted.split(".")
        assert getattr(getattr(settings, section), name) == value, dotted


@pytest.mark.parametrize(
    "variable", ["OCEAN__EVENT_LISTENER", "OCEAN__INTEGRATION", "OCEAN__INTEGRATION__CONFIG"]
)
def test_a_section_variable_that_is_not_json_is_named_with_the_parse_error(
    variable: str,
) -> None:
    with pytest.raises(ConfigError) as raised:
        load_settings(environ={variable: "{type: ONCE}"}, from_file={}, overrides={})

    message = str(raised.value)
    assert f"{variable} is not valid JSON (Expecting property name" in message
    assert f"or set its keys one by one as {variable}__KEY" in message


@pytest.mark.parametrize(
    ("word", "expected"),
    [("t", True), ("Y", True), ("on", True), ("yes", True), ("f", False), ("N", False)],
)
def test_pydantic_s_boolean_words_are_booleans(word: str, expected: bool) -> None:
    environ = {"OCEAN__EVENT_LISTENER__RESYNC_ON_START": word}

    settings = load_settings(environ=environ, from_file={}, overrides={})

    assert settings.event_listener.resync_on_start is expected


@pytest.mark.parametrize(
    ("environ", "named"),
    [
        ({"OCEAN__EVENT_LISTENER": '"ONCE"'}, "OCEAN__EVENT_LISTENER"),
        ({"OCEAN__INTEGRATION__CONFIG": "[1]"}, "OCEAN__INTEGRATION__CONFIG"),
    ],
)
def test_a_section_that_is_not_an_object_says_how_to_give_one(
    environ: dict[str, str], named: str
) -> None:
    with pytest.raises(ConfigError) as raised:
        load_settings(environ=environ, from_file={}, overrides={})

    assert f"as JSON in {named}, or key by key as {named}__KEY)" in str(raised.value)


@pytest.mark.parametrize(
    ("from_file", "environ", "dotted", "expected"),
    [
        pytest.param(
            {"integration": {"incremental_sync_interval": 30}}, {},
            "integration.incremental_sync_interval", "30", id="yaml-number-for-interval",
        ),
        pytest.param(
            {"integration": {"identifier": 12345}}, {},
            "integration.identifier", "12345", id="yaml-number-for-identifier",
        ),
        pytest.param(
            {}, {"OCEAN__PORT": '{"clientId": 42}'},
            "port.client_id", "42", id="json-number-for-text",
        ),
        pytest.param(
            {}, {"OCEAN__MAX_CONCURRENT_KINDS": " 3 "},
            "max_concurrent_kinds", 3, id="spaces-around-an-int",
        ),
        pytest.param(
            {}, {"OCEAN__EVENT_LISTENER__INTERVAL": "30\n"},
            "event_listener.interval", 30.0, id="newline-after-a-float",
        ),
        pytest.param(
            {}, {"OCEAN__SCHEDULED_RESYNC_INTERVAL": " 5"},
            "scheduled_resync_interval", 5.0, id="optional-float",
        ),
        pytest.param(
            {}, {"OCEAN__CATALOG__AUDIT_RETENTION_DAYS": "7"},
            "catalog.audit_retention_days", 7.0, id="audit-retention",
        ),
        pytest.param(
            {}, {}, "catalog.audit_retention_days", 90, id="audit-retention-default",
        ),
        pytest.param(
            {}, {"OCEAN__MAX_CONCURRENT_KINDS": "+3"},
            "max_concurrent_kinds", 3, id="plus-signed-int",
        ),
        pytest.param(
            {}, {"OCEAN__EVENT_LISTENER__INTERVAL": " +2.5"},
            "event_listener.interval", 2.5, id="plus-signed-float",
        ),
    ],
)  # fmt: skip
def test_values_are_read_as_the_original_s_pydantic_reads_them(
    from_file: dict[str, Any], environ: dict[str, str], dotted: str, expected: Any
) -> None:
    settings: Any = load_settings(environ=environ, from_file=from_file, overrides={})

    for name in dotted.split("."):
        settings = getattr(settings, name)
    assert settings == expected


@pytest.mark.parametrize("text", ["+-5", "++5", "+"])
def test_a_plus_sign_goes_only_before_digits(text: str) -> None:
    with pytest.raises(ConfigError, match="max_concurrent_kinds"):
        load_settings(environ={"OCEAN__MAX_CONCURRENT_KINDS": text}, from_file={}, overrides={})


@pytest.mark.parametrize(
    ("environ", "secret"),
    [
        ({"OCEAN__CATALOG__URL": "postgresql://ocean:S3cret@db/ocean"}, "S3cret"),
        ({"OCEAN__CATALOG__URL": "postgresql://db/ocean?user=o&password=P%40ss"}, "P@ss"),
        ({"OCEAN__LIVE_EVENTS__QUEUE_URL": "redis://:R3dis@cache:6379/0"}, "R3dis"),
    ],
    ids=["catalog-userinfo", "catalog-query-decoded", "queue-userinfo"],
)
def test_the_passwords_of_the_catalog_and_queue_urls_are_kept_out_of_the_log(
    environ: dict[str, str], secret: str
) -> None:
    settings = load_settings(environ=environ, from_file={}, overrides={})
    assert secret in settings.secrets()


def test_urls_without_a_password_add_no_secret() -> None:
    environ = {"OCEAN__CATALOG__URL": "sqlite:///.ocean/catalog.db",
               "OCEAN__LIVE_EVENTS__QUEUE_URL": "redis://cache:6379/0"}  # fmt: skip
    assert load_settings(environ=environ, from_file={}, overrides={}).secrets() == []
