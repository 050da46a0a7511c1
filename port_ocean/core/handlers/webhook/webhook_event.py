"""Live-event payload types (``port_ocean.core.handlers.webhook.webhook_event``).

``WebhookEvent`` is Ocean's own (:mod:`ocean.live.processor`) with the original's
``created_at``, ``from_request`` and ``set_timestamp``; events Ocean's engine hands
processors are instances of Ocean's class, which has every field processors read.
"""

from __future__ import annotations

import enum
import logging
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from ocean.live import processor as live
from ocean.live.processor import EventHeaders, EventPayload, WebhookEventRawResults
from port_ocean._unsupported import missing

_log = logging.getLogger(__name__)


class WebhookOriginalRequest(Protocol):
    """What a processor reads of the request an event came in (signature checks)."""

    @property
    def headers(self) -> Mapping[str, str]: ...

    async def body(self) -> bytes: ...


class LiveEventTimestamp(enum.StrEnum):
    AddedToQueue = "Added To Queue"
    StartedProcessing = "Started Processing"
    FinishedProcessingSuccessfully = "Finished Processing Successfully"
    FinishedProcessingWithError = "Finished Processing With Error"


@dataclass
class WebhookEvent(live.WebhookEvent):
    @classmethod
    async def from_request(cls, request: Any) -> WebhookEvent:
        """The event of a received request (its JSON body and headers)."""
        return cls(
            trace_id=str(uuid.uuid4()),
            payload=await request.json(),
            headers=dict(request.headers),
            original_request=request,
        )

    def set_timestamp(
        self, timestamp: LiveEventTimestamp, params: dict[str, Any] | None = None
    ) -> None:
        """Log that the event reached a stage (``timestamp``)."""
        _log.info("event %s: %s", self.trace_id, timestamp.value, extra=params or {})
        self._timestamp = timestamp


__all__ = [
    "EventHeaders",
    "EventPayload",
    "LiveEventTimestamp",
    "WebhookEvent",
    "WebhookEventRawResults",
    "WebhookOriginalRequest",
]
__getattr__ = missing(__name__)
