"""pytest fixtures integrations' conftests import: the folder's app and mapping resources
(the folder is the parent of the test module's directory)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from port_ocean._unsupported import missing
from port_ocean.core.handlers.port_app_config.models import ResourceConfig
from port_ocean.ocean import Ocean
from port_ocean.tests.helpers.ocean_app import (
    get_integation_resource_configs,
    get_integration_ocean_app,
)


def _folder(request: Any) -> str:
    return str(Path(request.module.__file__).parent / "..")


@pytest.fixture
def get_mocked_ocean_app(request: Any) -> Callable[..., Ocean]:
    folder = _folder(request)

    def get_ocean_app(config_overrides: dict[str, Any] | None = None) -> Ocean:
        return get_integration_ocean_app(folder, config_overrides)

    return get_ocean_app


@pytest.fixture
def get_mock_ocean_resource_configs(request: Any) -> Callable[[], list[ResourceConfig]]:
    folder = _folder(request)

    def get_ocean_resource_configs() -> list[ResourceConfig]:
        return get_integation_resource_configs(folder)

    return get_ocean_resource_configs


__all__ = ["get_mock_ocean_resource_configs", "get_mocked_ocean_app"]
__getattr__ = missing(__name__)
