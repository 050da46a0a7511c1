"""Live-event payload types (``port_ocean.core.handlers.webhook.webhook_event``)."""

from __future__ import annotations

from ocean.live.processor import (
    EventHeaders,
    EventPayload,
    WebhookEvent,
    WebhookEventRawResults,
)
from port_ocean._unsupported import missing

__all__ = ["EventHeaders", "EventPayload", "WebhookEvent", "WebhookEventRawResults"]

__getattr__ = missing(__name__)
