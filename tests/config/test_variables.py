"""``OCEAN__*`` variables that set nothing are named at start, with the name meant."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from ocean.config.variables import unknown_file_keys, unknown_variables
from ocean.errors import ConfigError
from ocean.sail import prepare

FIELDS = ["apiToken", "pageSize", "baseUrl"]


@pytest.mark.parametrize(
    ("variable", "said"),
    [
        ("OCEAN__EVENT_LISTNER__TYPE",
         "matches no setting and is ignored; did you mean OCEAN__EVENT_LISTENER__TYPE?"),
        ("OCEAN__EVENT_LISTENER__INTERVALL",
         "matches no setting and is ignored; did you mean OCEAN__EVENT_LISTENER__INTERVAL?"),
        ("OCEAN__MAXCONCURRENTKINDS",
         "matches no setting and is ignored; did you mean OCEAN__MAX_CONCURRENT_KINDS?"),
        ("OCEAN__NOTHING_LIKE_IT", "matches no setting and is ignored"),
        ("OCEAN__EVENT_LISTENER__TYPE__X", "sets nothing: OCEAN__EVENT_LISTENER__TYPE has no keys"),
        ("OCEAN__INTEGRATION__CONFIG__PAGESIZE",
         "sets 'pagesize', which .port/spec.yaml does not declare; did you mean "
         "OCEAN__INTEGRATION__CONFIG__PAGE_SIZE (pageSize)?"),
        ("OCEAN__INTEGRATION__CONFIG__API_TOKN",
         "sets 'api_tokn', which .port/spec.yaml does not declare; did you mean "
         "OCEAN__INTEGRATION__CONFIG__API_TOKEN (apiToken)?"),
    ],
)  # fmt: skip
def test_a_variable_that_sets_nothing_is_named_with_the_one_meant(variable: str, said: str) -> None:
    assert unknown_variables({variable: "1"}, FIELDS) == [f"{variable} {said}"]


@pytest.mark.parametrize(
    "variable",
    [
        "OCEAN__EVENT_LISTENER__TYPE",
        "OCEAN__EVENT_LISTENER",  # a section as JSON
        "OCEAN__INTEGRATION__CONFIG",
        "OCEAN__INTEGRATION__CONFIG__PAGE_SIZE",
        "OCEAN__INTEGRATION__CONFIG__LABELS__TEAM",  # a key of an object field
        "OCEAN__INTEGRATION__CONFIG__WEBHOOK_SECRET",  # a key main.py reads on its own
        "OCEAN__INITIALIZE_PORT_RESOURCES",  # the original's, which Ocean does without
        "OCEAN__LIVE_EVENTS__REDIS__URL",
        "OCEAN__LOG_LEVEL",
        "ocean__catalog__url",
        "PATH",
    ],
)
def test_settings_declared_fields_and_extra_config_keys_are_not_named(variable: str) -> None:
    assert unknown_variables({variable: "1"}, FIELDS) == []


@pytest.mark.parametrize(
    ("values", "said"),
    [
        ({"eventListner": {"type": "POLLING"}},
         "config.yaml's 'eventListner' sets nothing and is ignored; did you mean 'eventListener'?"),
        ({"integration": {"identifer": "x"}},
         "config.yaml's 'integration.identifer' sets nothing and is ignored; did you mean "
         "'identifier'?"),
        ({"scheduledResyncIntervl": 5},
         "config.yaml's 'scheduledResyncIntervl' sets nothing and is ignored; did you mean "
         "'scheduledResyncInterval'?"),
        ({"integration": {"config": {"pageSise": 5}}},
         "config.yaml's 'integration.config.pageSise' is not in .port/spec.yaml; did you mean "
         "'pageSize'?"),
    ],
)  # fmt: skip
def test_a_config_file_key_that_misspells_a_setting_is_named_with_the_one_meant(
    values: dict[str, object], said: str
) -> None:
    assert unknown_file_keys(values, FIELDS) == [said]


@pytest.mark.parametrize(
    "values",
    [
        {"eventListener": {"type": "POLLING"}, "integration": {"identifier": "x", "type": "y"}},
        {"integration": {"config": {"pageSize": 5, "webhookSecret": "s"}}},
        {"initializePortResources": True, "port": {"clientId": "x"}},
        {"somethingElseEntirely": 1},  # no setting close: the original's own, say
    ],
    ids=["settings", "spec-fields-and-extras", "the-original's", "nothing-close"],
)
def test_config_file_keys_that_set_something_or_nothing_close_are_not_named(
    values: dict[str, object],
) -> None:
    assert unknown_file_keys(values, FIELDS) == []


def _folder(path: Path, *, required: bool) -> None:
    """An integration folder whose spec declares ``pageSize``."""
    (path / ".port/resources").mkdir(parents=True)
    (path / "main.py").write_text("from ocean import Integration\nocean = Integration()\n")
    (path / ".port/spec.yaml").write_text(
        "configurations:\n  - name: pageSize\n    type: integer\n"
        f"    required: {'true' if required else 'false'}\n"
    )


def test_sail_warns_before_a_missing_field_is_refused(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    _folder(tmp_path, required=True)
    environ = {"OCEAN__INTEGRATION__CONFIG__PAGESIZE": "5"}

    with caplog.at_level(logging.WARNING), pytest.raises(ConfigError, match="pageSize: required"):
        prepare(tmp_path, environ=environ, overrides={}, dotenv=False)

    assert "did you mean OCEAN__INTEGRATION__CONFIG__PAGE_SIZE (pageSize)?" in caplog.text


def test_sail_names_a_misspelt_config_file_key_as_the_file_writes_it(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """As for a variable: a typo in config.yaml was ignored without a word."""
    _folder(tmp_path, required=False)
    (tmp_path / "config.yaml").write_text(
        "eventListner:\n  type: ONCE\nintegration:\n  config:\n    pageSise: 5\n"
    )
    (tmp_path / ".port/resources/port-app-config.yml").write_text("resources: []\n")

    with caplog.at_level(logging.WARNING):
        prepare(tmp_path, environ={}, overrides={}, dotenv=False)

    assert "config.yaml's 'eventListner' sets nothing and is ignored; did you mean " in caplog.text
    assert "config.yaml's 'integration.config.pageSise' is not in .port/spec.yaml" in caplog.text
