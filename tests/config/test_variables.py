"""``OCEAN__*`` variables that set nothing are named at start, with the name meant."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from ocean.config.variables import unknown_variables
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


def test_sail_warns_before_a_missing_field_is_refused(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    (tmp_path / ".port/resources").mkdir(parents=True)
    (tmp_path / "main.py").write_text("from ocean import Integration\nocean = Integration()\n")
    (tmp_path / ".port/spec.yaml").write_text(
        "configurations:\n  - name: pageSize\n    type: integer\n    required: true\n"
    )
    environ = {"OCEAN__INTEGRATION__CONFIG__PAGESIZE": "5"}

    with caplog.at_level(logging.WARNING), pytest.raises(ConfigError, match="pageSize: required"):
        prepare(tmp_path, environ=environ, overrides={}, dotenv=False)

    assert "did you mean OCEAN__INTEGRATION__CONFIG__PAGE_SIZE (pageSize)?" in caplog.text
