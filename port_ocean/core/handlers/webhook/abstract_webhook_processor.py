"""``AbstractWebhookProcessor``: the original's live-event processor contract.

It is Ocean's :class:`ocean.live.processor.WebhookProcessor`; see that module for the two
deliberate differences (every error is retried by default; ``group_key`` orders events).
"""

from __future__ import annotations

from ocean.live.processor import ProcessorType, RetryableError, WebhookProcessor
from port_ocean._unsupported import missing

AbstractWebhookProcessor = WebhookProcessor
WebhookProcessorType = ProcessorType

__all__ = ["AbstractWebhookProcessor", "RetryableError", "WebhookProcessorType"]

__getattr__ = missing(__name__)
