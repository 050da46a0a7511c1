"""``from port_ocean.context.event import event``: what the current resync is working on.

The core hands the resource explicitly to :meth:`PortOceanContext.resource_scope`, which
sets it here for the handlers that read ``event.resource_config``.
"""

from __future__ import annotations

import contextlib
import contextvars
import datetime as dt
import enum
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from typing import Any

from port_ocean._unsupported import missing


class EventType(enum.StrEnum):
    START = "start"
    RESYNC = "resync"
    HTTP_REQUEST = "http_request"


@dataclass
class EventContext:
    """The original's event context: the fields integrations read."""

    event_type: str
    trigger_type: str = "machine"
    attributes: dict[str, Any] = field(default_factory=dict)
    resource_config: Any = None
    port_app_config: Any = None
    id: str = field(default_factory=lambda: str(uuid.uuid4()))


_current: contextvars.ContextVar[EventContext | None] = contextvars.ContextVar(
    "port_ocean_event", default=None
)


class _EventProxy:
    """Reads through to the event of the running resync or request."""

    def __getattr__(self, name: str) -> Any:
        current = _current.get()
        if current is None:
            raise RuntimeError(
                f"event.{name} was read outside of a resync or request; read it inside a handler."
            )
        return getattr(current, name)


event = _EventProxy()


_resync_attributes: contextvars.ContextVar[dict[str, Any] | None] = contextvars.ContextVar(
    "port_ocean_resync_attributes", default=None
)


@contextlib.contextmanager
def one_resync() -> Iterator[dict[str, Any]]:
    """Within: the resync's hooks and resources see one event, whose ``attributes`` they
    share, as in the original, where integrations keep there what several kinds read
    (Datadog's hosts, Wiz's projects)."""
    attributes = {"resync_start_time": dt.datetime.now(dt.UTC)}
    shared = _resync_attributes.set(attributes)
    current = _current.set(EventContext(event_type=EventType.RESYNC.value, attributes=attributes))
    try:
        yield attributes
    finally:
        _current.reset(current)
        _resync_attributes.reset(shared)


@contextlib.contextmanager
def resync_event(resource: Any, mapping: Any) -> Iterator[EventContext]:
    """The event of one resource's extraction (within :func:`one_resync`, its attributes
    are the resync's)."""
    shared = _resync_attributes.get()
    context = EventContext(
        event_type=EventType.RESYNC.value,
        attributes=shared if shared is not None else {"resync_start_time": dt.datetime.now(dt.UTC)},
        resource_config=resource,
        port_app_config=mapping,
    )
    token = _current.set(context)
    try:
        yield context
    finally:
        _current.reset(token)


@contextlib.asynccontextmanager
async def event_context(
    event_type: str,
    trigger_type: str = "manual",
    attributes: dict[str, Any] | None = None,
    **_: Any,
) -> AsyncIterator[EventContext]:
    """A nested event, inheriting the resource and mapping of the current one."""
    parent = _current.get()
    context = EventContext(
        event_type=str(getattr(event_type, "value", event_type)),
        trigger_type=trigger_type,
        attributes={**(parent.attributes if parent else {}), **(attributes or {})},
        resource_config=parent.resource_config if parent else None,
        port_app_config=parent.port_app_config if parent else None,
    )
    token = _current.set(context)
    try:
        yield context
    finally:
        _current.reset(token)


__getattr__ = missing(__name__)
