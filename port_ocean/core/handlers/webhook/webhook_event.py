"""Live-event payload types (``port_ocean.core.handlers.webhook.webhook_event``)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from port_ocean._unsupported import missing

EventPayload = dict[str, Any]
EventHeaders = dict[str, str]


@dataclass
class WebhookEvent:
    trace_id: str
    payload: EventPayload
    headers: EventHeaders
    original_request: Any = None
    group_id: str | None = None

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> WebhookEvent:
        return cls(
            trace_id=data.get("trace_id") or str(uuid.uuid4()),
            payload=data["payload"],
            headers=data.get("headers", {}),
        )

    def clone(self) -> WebhookEvent:
        return WebhookEvent(
            self.trace_id,
            dict(self.payload),
            dict(self.headers),
            self.original_request,
            self.group_id,
        )


@dataclass
class WebhookEventRawResults:
    updated_raw_results: list[dict[str, Any]] = field(default_factory=list)
    deleted_raw_results: list[dict[str, Any]] = field(default_factory=list)


__getattr__ = missing(__name__)
