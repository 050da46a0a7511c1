"""``port_ocean.exceptions.webhook_processor``: errors of live-event processing.
``RetryableError`` is Ocean's own, which the live-event workers retry."""

from __future__ import annotations

from ocean.live.processor import RetryableError
from port_ocean._unsupported import missing
from port_ocean.exceptions.base import BaseOceanException


class WebhookProcessingError(BaseOceanException):
    pass


class WebhookEventNotSupportedError(WebhookProcessingError):
    pass


__all__ = ["RetryableError", "WebhookEventNotSupportedError", "WebhookProcessingError"]
__getattr__ = missing(__name__)
