"""``JQEntityProcessor`` / ``JQEntityProcessorSync`` searches, as the original's: ``env``
follows the integration's ``allow_environment_variables_jq_access``, and a boolean search
whose pattern does not compile says so."""

from __future__ import annotations

import pytest

from ocean.config.settings import Settings
from port_ocean.context.ocean import ocean
from port_ocean.core.handlers.entity_processor.jq_entity_processor import JQEntityProcessor
from port_ocean.core.handlers.entity_processor.jq_entity_processor_sync import (
    JQEntityProcessorSync,
)
from port_ocean.exceptions.core import EntityProcessorException


@pytest.mark.parametrize(
    ("allowed", "expected"), [(True, "eu"), (False, None)], ids=["allowed", "hidden"]
)
@pytest.mark.parametrize("pattern", ["env.OCEAN_TEST_REGION", "$ENV.OCEAN_TEST_REGION"])
async def test_search_reads_the_environment_as_the_integration_s_settings_say(
    monkeypatch: pytest.MonkeyPatch, allowed: bool, expected: str | None, pattern: str
) -> None:
    monkeypatch.setenv("OCEAN_TEST_REGION", "eu")
    settings = Settings(allow_environment_variables_jq_access=allowed)
    monkeypatch.setattr(ocean, "_settings", settings)

    assert await JQEntityProcessor()._search({"a": 1}, pattern) == expected
    assert JQEntityProcessorSync._search({"a": 1}, pattern) == expected


def test_the_environment_is_readable_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OCEAN_TEST_REGION", "eu")
    monkeypatch.setattr(ocean, "_settings", Settings())

    assert JQEntityProcessorSync._search({}, "env.OCEAN_TEST_REGION") == "eu"


async def test_a_boolean_search_that_does_not_compile_raises_its_compile_error() -> None:
    with pytest.raises(ValueError, match=r"'\.a \| \(' does not compile: syntax error"):
        await JQEntityProcessor()._search_as_bool({"a": 1}, ".a | (")
    with pytest.raises(ValueError, match=r"'\.a \| \(' does not compile: syntax error"):
        JQEntityProcessorSync._search_as_bool({"a": 1}, ".a | (")


@pytest.mark.parametrize(("pattern", "expected"), [(".a == 1", True), (".a == 2", False)])
async def test_a_boolean_search_gives_the_boolean(pattern: str, expected: bool) -> None:
    assert await JQEntityProcessor()._search_as_bool({"a": 1}, pattern) is expected
    assert JQEntityProcessorSync._search_as_bool({"a": 1}, pattern) is expected


@pytest.mark.parametrize("pattern", [".a", "empty"])
async def test_a_boolean_search_that_gives_no_boolean_raises(pattern: str) -> None:
    with pytest.raises(EntityProcessorException):
        await JQEntityProcessor()._search_as_bool({"a": 1}, pattern)
    with pytest.raises(EntityProcessorException):
        JQEntityProcessorSync._search_as_bool({"a": 1}, pattern)
