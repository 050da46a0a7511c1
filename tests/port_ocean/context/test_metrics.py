"""``ocean.metrics``: what the original's code calls on it answers and does nothing (Ocean
measures its resyncs from their reports); in an integration's own tests it is the given
app's."""

from __future__ import annotations

from unittest.mock import MagicMock

import pytest

from port_ocean._unsupported import UnsupportedAttributeError
from port_ocean.context.ocean import PortOceanContext, ocean
from port_ocean.context.resource import resource_context


async def test_the_original_calls_answer_and_do_nothing() -> None:
    metrics = ocean.metrics
    metrics.event_id = "resync-1"
    metrics.sync_state = "syncing"
    metrics.initialize_metrics(["project-0"])
    metrics.set_metric("success", ["project-0", "resync"], 0)
    metrics.inc_metric("object_count", ["project-0", "load", "upserted"], 3)
    await metrics.report_sync_metrics(kinds=["project-0"])
    await metrics.report_kind_sync_metrics(kind="project-0")
    await metrics.send_metrics_to_webhook(kind="project-0")
    metrics.clear_sync_context()

    assert (metrics.event_id, metrics.sync_state, metrics.enabled) == ("", "syncing", False)
    assert metrics.generate_metrics() == []
    assert ocean.metrics is metrics


async def test_the_current_resource_kind_is_the_resources_kind_and_index() -> None:
    config = MagicMock(kind="project")

    async with resource_context(config, index=2):
        inside = ocean.metrics.current_resource_kind()

    assert (inside, ocean.metrics.current_resource_kind()) == ("project-2", "__runtime__")


def test_other_parts_say_they_are_not_supported() -> None:
    with pytest.raises(UnsupportedAttributeError, match="'ocean.metrics.registry'"):
        _ = ocean.metrics.registry


def test_in_an_integrations_own_tests_the_metrics_are_the_given_apps() -> None:
    app = MagicMock()

    assert PortOceanContext(app).metrics is app.metrics
