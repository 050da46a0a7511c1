"""``port_ocean.context.ocean``'s current context, as the original's: integrations' tests
make a context with an app (``PortOceanContext(app)``), and reset it between tests by
replacing the module's ``_port_ocean`` with an uninitialised one; ``ocean`` reads
whichever is current."""

from __future__ import annotations

from unittest.mock import MagicMock

import pytest

import port_ocean.context.ocean as ocean_module
from port_ocean.context.ocean import PortOceanContext, initialize_port_ocean_context, ocean
from port_ocean.exceptions.context import PortOceanContextAlreadyInitializedError


@pytest.fixture(autouse=True)
def restored(monkeypatch: pytest.MonkeyPatch) -> None:
    """The current context as it was, after each test."""
    monkeypatch.setattr(ocean_module, "_port_ocean", ocean_module._port_ocean)


def test_replacing_the_context_with_an_uninitialised_one_resets_it() -> None:
    first, second = MagicMock(), MagicMock()
    initialize_port_ocean_context(first)
    with pytest.raises(PortOceanContextAlreadyInitializedError):
        initialize_port_ocean_context(second)
    assert ocean.app is first

    ocean_module._port_ocean = PortOceanContext(None)  # a test's teardown, as gcp's
    assert ocean._given_app is None
    initialize_port_ocean_context(second)

    assert ocean.app is second
    assert ocean.integration_config is second.config.integration.config


def test_ocean_reads_the_app_of_the_context_made_current() -> None:
    app = MagicMock()
    context = PortOceanContext(app)

    ocean_module._port_ocean = context

    assert context.initialized and context.app is app
    assert ocean.config is app.config and ocean.port_client is app.port_client
    assert PortOceanContext().app is not app  # a context without an app reads its own view


def test_a_module_holding_ocean_reads_the_context_while_a_test_patches_the_name(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    app = MagicMock()
    app.config.integration.config = {"on_premise": False}
    initialize_port_ocean_context(app)
    held = ocean  # a webhook processor's `from port_ocean.context.ocean import ocean`

    monkeypatch.setattr("port_ocean.context.ocean.ocean", MagicMock())  # as sonarqube's tests

    assert held.integration_config == {"on_premise": False}
