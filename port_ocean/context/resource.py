"""``port_ocean.context.resource``: the resource a handler or processor works on, as the
original's ``resource`` (``resource.resource_config``, ``resource.kind``, ``resource.index``)
and ``resource_context`` (which sets one, as integrations' tests do)."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from port_ocean._unsupported import missing
from port_ocean.context import event as event_module
from port_ocean.exceptions.context import ResourceContextNotFoundError


@dataclass
class ResourceContext:
    resource_config: Any
    index: int

    @property
    def kind(self) -> str:
        return str(self.resource_config.kind)


class _ResourceProxy:
    """Reads through to the resource of the running event."""

    def __getattr__(self, name: str) -> Any:
        current = _current_for(name)
        return getattr(ResourceContext(current.resource_config, current.resource_index), name)

    def __setattr__(self, name: str, value: Any) -> None:
        """Sets the running event's resource (``resource_config``) or its place (``index``),
        as the original's proxy sets its context's fields."""
        fields = {"resource_config": "resource_config", "index": "resource_index"}
        if name not in fields:
            raise AttributeError(f"resource.{name} cannot be set; set resource_config or index")
        setattr(_current_for(name, "set"), fields[name], value)


def _current_for(name: str, verb: str = "read") -> event_module.EventContext:
    current = event_module.current_event()
    if current is None or current.resource_config is None:
        raise ResourceContextNotFoundError(
            f"resource.{name} was {verb} outside of a resource's resync or live event; "
            "use it inside a handler or a webhook processor."
        )
    return current


resource: Any = _ResourceProxy()


@contextlib.asynccontextmanager
async def resource_context(resource_config: Any, index: int = 0) -> AsyncIterator[Any]:
    """Within: ``resource`` (yielded, as the original) and ``event.resource_config`` are
    ``resource_config``; ``event`` is otherwise the current one (its type, id and
    ``attributes``), as in the original, whose resource is apart from the event."""
    current = event_module.current_event()
    mapping = current._port_app_config if current is not None else None
    outer = current if isinstance(current, event_module.EventContext) else None
    with event_module.resource_event(resource_config, mapping, index, outer):
        yield resource


__getattr__ = missing(__name__)
