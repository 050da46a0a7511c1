"""``from port_ocean import Ocean`` and ``port_ocean.tests.helpers``, as integrations' own
tests use them: load the folder, ask a kind's handlers for raw results; and the ``ocean``
context read through ``app``, which tests replace."""

from __future__ import annotations

import inspect
from pathlib import Path
from typing import Any

import pytest

from tests.port_ocean.folders import plain_folder

MAIN = """
from port_ocean.context.ocean import ocean

@ocean.on_resync("project")
async def listed(kind):
    return [{"key": "OPS", "token": ocean.integration_config["api_token"]}]

@ocean.on_resync("project")
async def paged(kind):
    yield [{"key": "WEB"}]
"""
SPEC = """
configurations:
  - name: apiToken
    type: string
    required: true
"""


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    folder = plain_folder(tmp_path, MAIN)
    (folder / ".port" / "spec.yaml").write_text(SPEC)
    return folder


async def test_the_helpers_load_the_folder_and_run_a_kind_s_handlers(folder: Path) -> None:
    from port_ocean import Ocean
    from port_ocean.tests.helpers.ocean_app import (
        get_integation_resource_configs,
        get_integration_ocean_app,
        get_raw_result_on_integration_sync_resource_config,
    )

    app = get_integration_ocean_app(
        str(folder), {"integration": {"config": {"api_token": "secret"}}}
    )
    [resource] = get_integation_resource_configs(str(folder))
    results, errors = await get_raw_result_on_integration_sync_resource_config(app, resource)

    assert isinstance(app, Ocean) and errors == []
    assert results[0] == {"key": "OPS", "token": "secret"}
    assert inspect.isasyncgen(results[1])
    assert [batch async for batch in results[1]] == [[{"key": "WEB"}]]


@pytest.mark.parametrize(
    "variable",
    ["OCEAN__INTEGRATION__CONFIG__API_TOKEN", "OCEAN__INTEGRATION__CONFIG"],
)
async def test_the_helpers_config_overrides_win_over_the_environment(
    folder: Path, monkeypatch: pytest.MonkeyPatch, variable: str
) -> None:
    from port_ocean.tests.helpers.ocean_app import (
        get_integation_resource_configs,
        get_integration_ocean_app,
        get_raw_result_on_integration_sync_resource_config,
    )

    value = '{"api_token": "from-env"}' if variable.endswith("CONFIG") else "from-env"
    monkeypatch.setenv(variable, value)
    app = get_integration_ocean_app(
        str(folder), {"integration": {"config": {"api_token": "from-override"}}}
    )
    [resource] = get_integation_resource_configs(str(folder))
    results, _ = await get_raw_result_on_integration_sync_resource_config(app, resource)

    assert results[0] == {"key": "OPS", "token": "from-override"}


def test_the_fixtures_are_importable_by_a_conftest() -> None:
    from port_ocean.tests.helpers import fixtures

    assert callable(fixtures.get_mocked_ocean_app)
    assert callable(fixtures.get_mock_ocean_resource_configs)


def test_the_package_gives_the_app_class_run_and_versions() -> None:
    import port_ocean
    from port_ocean import Ocean, run
    from port_ocean.ocean import Ocean as Same

    assert Ocean is Same and callable(run) and port_ocean.run is run
    assert port_ocean.__version__


def test_integration_config_is_read_through_app_which_tests_replace(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from unittest.mock import MagicMock

    from port_ocean.context.ocean import PortOceanContext, ocean

    app: Any = MagicMock()
    app.config.integration.config = {"webhook_secret": "s"}
    monkeypatch.setattr(PortOceanContext, "app", app)

    assert ocean.integration_config == {"webhook_secret": "s"}
    assert ocean.config is app.config


def test_the_port_client_of_a_test_s_app_is_ocean_s(monkeypatch: pytest.MonkeyPatch) -> None:
    from unittest.mock import MagicMock

    from port_ocean.context.ocean import ocean

    app = MagicMock()
    monkeypatch.setattr(ocean, "_given_app", app)

    assert ocean.port_client is app.port_client


def test_ocean_integration_registers_by_function_and_tests_may_replace_it() -> None:
    from unittest.mock import patch

    from port_ocean.context.ocean import ocean

    async def teams(kind: str) -> list[dict[str, Any]]:
        return []

    ocean.integration.on_resync(teams, "team-by-function")
    ocean.integration.on_incremental_resync(teams, "team-by-function")
    with patch("port_ocean.context.ocean.ocean.integration.on_resync", lambda fn, kind=None: fn):
        pass

    assert teams in ocean.handlers_for("team-by-function")
    assert teams in ocean.incremental_handlers_for("team-by-function")
