"""``port_ocean.context.resource.resource_context`` within an ``event_context``, as
integrations' tests use them (opencost's, GitHub's): in the original the resource lives on
a stack of its own, so ``event`` inside is still the enclosing event (its type, id and
``attributes``), and the context manager yields the ``resource``."""

from __future__ import annotations

from types import SimpleNamespace

from port_ocean.context.event import event, event_context
from port_ocean.context.resource import resource, resource_context


async def test_within_a_resource_context_event_is_still_the_enclosing_event() -> None:
    config = SimpleNamespace(kind="project")
    async with event_context("test_event", attributes={"client": "c"}) as outer:
        outer.attributes["seen"] = 1
        outer.port_app_config = "mapping"
        async with resource_context(config, 1):
            inside = (event.event_type, event.id, dict(event.attributes), event.port_app_config)
            event.attributes["kept"] = True
            assert event.resource_config is config

    assert inside == ("test_event", outer.id, {"client": "c", "seen": 1}, "mapping")
    assert outer.attributes["kept"] is True


async def test_resource_context_yields_the_resource() -> None:
    async with resource_context(SimpleNamespace(kind="project"), 2) as current:
        seen = (current.kind, current.index, current.resource_config.kind)
        assert current is resource

    assert seen == ("project", 2, "project")
