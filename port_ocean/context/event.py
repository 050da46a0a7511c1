"""``from port_ocean.context.event import event``: what the current resync is working on.

The core hands the resource explicitly to :meth:`PortOceanContext.resource_scope`, which
sets it here for the handlers that read ``event.resource_config``.
"""

from __future__ import annotations

import contextlib
import contextvars
import datetime as dt
import enum
import sys
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from typing import Any

from port_ocean._unsupported import missing
from port_ocean.exceptions.context import EventContextNotFoundError


class EventType(enum.StrEnum):
    START = "start"
    RESYNC = "resync"
    HTTP_REQUEST = "http_request"
    ACTION_RUN = "action_run"
    INCREMENTAL_RESYNC = "incremental_resync"


@dataclass
class EventContext:
    """The original's event context: the fields integrations read."""

    event_type: str
    trigger_type: str = "machine"
    attributes: dict[str, Any] = field(default_factory=dict)
    resource_config: Any = None
    port_app_config: Any = None
    id: str = field(default_factory=lambda: str(uuid.uuid4()))
    resource_index: int = 0
    """The resource's position in the mapping (``port_ocean.context.resource``)."""


_current: contextvars.ContextVar[EventContext | None] = contextvars.ContextVar(
    "port_ocean_event", default=None
)


def _get_event_context() -> EventContext:
    """The event of the running resync or request (``EventContextNotFoundError`` outside
    of one). ``event`` reads through this module's name, which tests may patch."""
    current = _current.get()
    if current is None:
        raise EventContextNotFoundError(
            "event was read outside of a resync or request; read it inside a handler."
        )
    return current


class _EventProxy:
    """Reads and writes through to the event of the running resync or request, as the
    original's proxy does: integrations' tests set ``event.port_app_config`` inside an
    ``event_context`` (set on the proxy itself, it would outlive that event)."""

    def __getattr__(self, name: str) -> Any:
        return getattr(_current_for(name), name)

    def __setattr__(self, name: str, value: Any) -> None:
        setattr(_current_for(name, "set"), name, value)

    def __delattr__(self, name: str) -> None:
        delattr(_current_for(name, "deleted"), name)


def _current_for(name: str, verb: str = "read") -> EventContext:
    lookup: Any = sys.modules[__name__]._get_event_context
    try:
        current: EventContext = lookup()
    except EventContextNotFoundError:
        raise EventContextNotFoundError(
            f"event.{name} was {verb} outside of a resync or request; use it inside a handler."
        ) from None
    return current


class _EventStack:
    """The original's ``_event_context_stack``: ``push`` makes an event current (tests
    push a mock one), ``pop`` restores the one before, ``top`` is the current one."""

    def __init__(self) -> None:
        self._tokens: list[contextvars.Token[EventContext | None]] = []

    @property
    def top(self) -> EventContext | None:
        return _current.get()

    def push(self, context: Any) -> None:
        self._tokens.append(_current.set(context))

    def pop(self) -> EventContext | None:
        popped = _current.get()
        if self._tokens:
            _current.reset(self._tokens.pop())
        return popped


_event_context_stack = _EventStack()


def current_event() -> EventContext | None:
    """The event of the running resync, request or resource, if any."""
    return _current.get()


event = _EventProxy()


_enclosing: contextvars.ContextVar[EventContext | None] = contextvars.ContextVar(
    "port_ocean_enclosing_event", default=None
)


@contextlib.contextmanager
def enclosing_event(event_type: EventType, mapping: Any) -> Iterator[EventContext]:
    """Within: one event, as the original's resync (its hooks and every resource) or
    request (a live event's processors, a call to the router's routes). The resource
    events inside share its ``attributes``, where integrations keep what several kinds
    read (Datadog's hosts, Wiz's projects)."""
    context = EventContext(
        event_type=event_type.value,
        trigger_type="request" if event_type is EventType.HTTP_REQUEST else "machine",
        attributes={"resync_start_time": dt.datetime.now(dt.UTC)}
        if event_type in (EventType.RESYNC, EventType.INCREMENTAL_RESYNC)
        else {},
        port_app_config=mapping,
    )
    enclosing, current = _enclosing.set(context), _current.set(context)
    try:
        yield context
    finally:
        _current.reset(current)
        _enclosing.reset(enclosing)


@contextlib.contextmanager
def resource_event(resource: Any, mapping: Any, index: int = 0) -> Iterator[EventContext]:
    """The event of one resource's work: the enclosing event's, with ``resource_config``."""
    outer = _enclosing.get()
    context = EventContext(
        event_type=outer.event_type if outer else EventType.RESYNC.value,
        trigger_type=outer.trigger_type if outer else "machine",
        attributes=outer.attributes if outer else {"resync_start_time": dt.datetime.now(dt.UTC)},
        resource_config=resource,
        port_app_config=mapping,
        resource_index=index,
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
    parent_override: EventContext | None = None,
    **_: Any,
) -> AsyncIterator[EventContext]:
    """A nested event, inheriting the attributes, resource and mapping of the current one,
    or of ``parent_override`` when given (an event a worker task took from a queue, made
    where that task does not run)."""
    parent = parent_override or _current.get()
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
