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

from ocean.errors import ResyncAbortedError
from port_ocean._unsupported import missing
from port_ocean.context._abort import AbortCallbackFunction, Aborting, stoppable
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
    _port_app_config: Any = None
    id: str = field(default_factory=lambda: str(uuid.uuid4()))
    resource_index: int = 0
    """The resource's position in the mapping (``port_ocean.context.resource``)."""
    _parent_event: EventContext | None = None
    _aborting: Aborting = field(default_factory=Aborting)
    """Shared by a resync's event and its resources' events: one event, as the original's."""

    def on_abort(self, func: AbortCallbackFunction) -> None:
        """Call ``func`` when the event is aborted: by :meth:`abort`, or, for a resync, when
        Ocean stops it (a newer resync superseded it, or the integration is stopping)."""
        self._aborting.callbacks.append(func)

    def abort(self, external_abort: bool = False) -> None:
        """Call the ``on_abort`` callbacks (one that raises is logged and the others still
        run; a coroutine function's is run as a task), then mark the event aborted. During
        a resync, the resync stops at its next await, as the original's: it ends
        ``aborted``, what it wrote stays and nothing is deleted."""
        self._aborting.abort(external_abort)

    @property
    def aborted(self) -> bool:
        return self._aborting.aborted

    @property
    def external_abort(self) -> bool:
        """Whether :meth:`abort` was told the abort came from outside the integration."""
        return self._aborting.external

    @property
    def port_app_config(self) -> Any:
        """The mapping of the running resync or request; ``ValueError`` when none is set,
        as in the original (an integration's test sets it inside an ``event_context``)."""
        if self._port_app_config is None:
            raise ValueError("Port app config is not set")
        return self._port_app_config

    @port_app_config.setter
    def port_app_config(self, value: Any) -> None:
        self._port_app_config = value

    @property
    def parent(self) -> EventContext | None:
        """The event this one was made within (``event_context``), if any."""
        return self._parent_event

    @property
    def parent_id(self) -> str | None:
        return self._parent_event.id if self._parent_event is not None else None


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
    resync = event_type in (EventType.RESYNC, EventType.INCREMENTAL_RESYNC)
    context = EventContext(
        event_type=event_type.value,
        trigger_type="request" if event_type is EventType.HTTP_REQUEST else "machine",
        attributes={"resync_start_time": dt.datetime.now(dt.UTC)} if resync else {},
        _port_app_config=mapping,
    )
    enclosing, current = _enclosing.set(context), _current.set(context)
    try:
        with stoppable(context._aborting, _aborted_resync) if resync else contextlib.nullcontext():
            yield context
    finally:
        _current.reset(current)
        _enclosing.reset(enclosing)


def _aborted_resync() -> ResyncAbortedError:
    return ResyncAbortedError(
        "the integration aborted the resync (event.abort()): it stopped where it was; what "
        "it wrote stays and nothing more is deleted. The next resync runs as usual."
    )


@contextlib.contextmanager
def resource_event(
    resource: Any, mapping: Any, index: int = 0, outer: EventContext | None = None
) -> Iterator[EventContext]:
    """The event of one resource's work: ``outer``'s (by default the enclosing event's),
    with ``resource_config``."""
    outer = outer or _enclosing.get()
    context = EventContext(
        event_type=outer.event_type if outer else EventType.RESYNC.value,
        trigger_type=outer.trigger_type if outer else "machine",
        attributes=outer.attributes if outer else {"resync_start_time": dt.datetime.now(dt.UTC)},
        resource_config=resource,
        _port_app_config=mapping,
        resource_index=index,
    )
    if outer is not None:  # the enclosing event itself, as the original's handlers see it
        context.id, context._parent_event = outer.id, outer._parent_event
        context._aborting = outer._aborting
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
    where that task does not run), which is its ``parent``. Aborting it calls its own
    ``on_abort`` callbacks only, as in the original."""
    parent = parent_override or _current.get()
    context = EventContext(
        event_type=str(getattr(event_type, "value", event_type)),
        trigger_type=trigger_type,
        attributes={**(parent.attributes if parent else {}), **(attributes or {})},
        resource_config=parent.resource_config if parent else None,
        _port_app_config=parent._port_app_config if parent else None,
        _parent_event=parent,
    )
    token = _current.set(context)
    try:
        yield context
    finally:
        _current.reset(token)


__getattr__ = missing(__name__)
