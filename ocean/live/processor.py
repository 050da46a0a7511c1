"""The live-event processor contract, as the original's ``AbstractWebhookProcessor``.

An integration registers processor classes per path with
``ocean.add_webhook_processor(path, ProcessorClass)``. For each event the HTTP route
instantiates every processor of the path, keeps those whose ``should_process_event`` is
true, and checks ``authenticate`` and ``validate_payload`` before anything is queued.
A worker later calls ``handle_event`` once per mapping resource of each matching kind.

Differences from the original, on purpose:

* ``should_retry`` retries every error by default (the original only ``RetryableError``):
  a transient failure of the third-party API is the common case, and an event that runs
  out of retries is kept in the dead-letter list rather than dropped.
* ``group_key(event)`` names the resource an event is about; events with the same key are
  applied in arrival order, others in parallel. A path one of whose processors does not
  define it (one written for the original) has its events applied one at a time, in
  arrival order, as the original does (their key, and ``group_id`` in the worker, is the
  registered path).
* ``event.original_request`` (``_original_request`` in the original) is a
  :class:`ReceivedRequest`, rebuilt from what the durable queue keeps (the body as
  received, the headers, the path) rather than the live HTTP request, which is gone by the
  time a worker handles the event.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import random
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ocean.live.queue import read_json

EventPayload = dict[str, Any]
EventHeaders = dict[str, str]


_VERSION_4 = (~(0xC000 << 48 | 0xF000 << 64), 0x8000 << 48 | 4 << 76)
"""The bits ``uuid.UUID(version=4)`` clears and sets (its variant and version)."""


def new_trace_id() -> str:
    """A random UUID for an event's ``trace_id``: from the process's random generator, not
    ``uuid4``'s ``os.urandom``, a system call that takes 100 µs on some machines (a trace id
    needs to be unique, not secret); written as ``str(uuid.UUID(int=..., version=4))``
    writes it, without the object (a third of the time, for every event the route takes)."""
    cleared, set_ = _VERSION_4
    text = f"{random.getrandbits(128) & cleared | set_:032x}"
    return f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}"


class ProcessorType(enum.StrEnum):
    WEBHOOK = "webhook"
    ACTION = "action"


class ReceivedRequest:
    """The request an event came in, as processors read it to check a signature: its
    ``await body()`` (the bytes as received), ``await json()``, ``headers`` (any case),
    ``url`` and ``method``."""

    method = "POST"

    def __init__(self, path: str, headers: Mapping[str, str], body: bytes) -> None:
        self._path, self._headers, self._body = path, headers, body

    async def body(self) -> bytes:
        return self._body

    async def json(self) -> Any:
        return read_json(self._body)

    @property
    def headers(self) -> Mapping[str, str]:
        from starlette.datastructures import Headers  # imported on use: sail starts faster

        return Headers(headers=dict(self._headers))

    @property
    def url(self) -> Any:
        from starlette.datastructures import URL

        return URL(f"/integration{self._path}")


@dataclass
class WebhookEvent:
    """One received event: its JSON payload and its headers (lower-cased names)."""

    trace_id: str
    payload: EventPayload
    headers: EventHeaders
    original_request: Any = None
    group_id: str | None = None
    created_at: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))
    """When it was made (the original's sixth argument)."""
    body: bytes = b""
    """The raw request body, for signature checks."""

    @property
    def _original_request(self) -> Any:
        """The original's name for :attr:`original_request`."""
        return self.original_request

    @_original_request.setter
    def _original_request(self, request: Any) -> None:
        self.original_request = request

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> WebhookEvent:
        event = cls(
            trace_id=data.get("trace_id") or new_trace_id(),
            payload=data["payload"],
            headers=data.get("headers", {}),
        )
        if made := data.get("created_at"):
            event.created_at = dt.datetime.fromisoformat(made)
        return event

    def clone(self) -> WebhookEvent:
        """A copy of this event, of its class, with copies of its payload and headers."""
        return dataclasses.replace(self, payload=dict(self.payload), headers=dict(self.headers))


@dataclass
class WebhookEventRawResults:
    """What ``handle_event`` returns: raw items to upsert and raw items to delete."""

    updated_raw_results: list[dict[str, Any]] = field(default_factory=list)
    deleted_raw_results: list[dict[str, Any]] = field(default_factory=list)


class RetryableError(Exception):
    """An error worth retrying (kept for the original's ``should_retry``)."""


class WebhookProcessor(ABC):
    """Subclass it and register it with ``ocean.add_webhook_processor(path, cls)``."""

    max_retries = 3
    initial_retry_delay_seconds = 1.0
    max_retry_delay_seconds = 30.0
    exponential_base_seconds = 2.0

    def __init__(self, event: WebhookEvent) -> None:
        self.event = event
        self.retry_count = 0

    @classmethod
    def get_processor_type(cls) -> ProcessorType:
        return ProcessorType.WEBHOOK

    @abstractmethod
    async def should_process_event(self, event: WebhookEvent) -> bool: ...

    @abstractmethod
    async def get_matching_kinds(self, event: WebhookEvent) -> list[str]: ...

    @abstractmethod
    async def authenticate(self, payload: EventPayload, headers: EventHeaders) -> bool: ...

    @abstractmethod
    async def validate_payload(self, payload: EventPayload) -> bool: ...

    @abstractmethod
    async def handle_event(
        self, payload: EventPayload, resource_config: Any
    ) -> WebhookEventRawResults: ...

    def group_key(self, event: WebhookEvent) -> str | None:
        """The resource this event is about; None: no ordering with other events. Not
        overridden, it is not asked: the path's events are applied in arrival order."""
        return event.group_id

    async def before_processing(self) -> None:
        return None

    async def after_processing(self) -> None:
        return None

    async def on_error(self, error: Exception) -> None:
        return None

    async def cancel(self) -> None:
        return None

    def should_retry(self, error: Exception) -> bool:
        return True

    def calculate_retry_delay(self) -> float:
        delay = self.initial_retry_delay_seconds * self.exponential_base_seconds**self.retry_count
        return float(min(delay, self.max_retry_delay_seconds))

    def validate_webhook_setup(self) -> bool:
        return True
