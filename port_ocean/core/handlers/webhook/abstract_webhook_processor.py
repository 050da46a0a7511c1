"""``AbstractWebhookProcessor``: the original's live-event processor contract."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any

from port_ocean._unsupported import missing
from port_ocean.core.handlers.webhook.webhook_event import (
    EventHeaders,
    EventPayload,
    WebhookEvent,
    WebhookEventRawResults,
)


class AbstractWebhookProcessor(ABC):
    max_retries = 3
    initial_retry_delay_seconds = 1.0
    max_retry_delay_seconds = 30.0
    exponential_base_seconds = 2.0

    def __init__(self, event: WebhookEvent) -> None:
        self.event = event
        self.retry_count = 0

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

    async def before_processing(self) -> None:  # optional hook
        return None

    async def after_processing(self) -> None:  # optional hook
        return None

    async def on_error(self, error: Exception) -> None:  # optional hook
        return None

    async def cancel(self) -> None:  # optional hook
        return None

    def calculate_retry_delay(self) -> float:
        delay = self.initial_retry_delay_seconds * self.exponential_base_seconds**self.retry_count
        return float(min(delay, self.max_retry_delay_seconds))


__getattr__ = missing(__name__)
