"""``AbstractWebhookProcessor``'s default hooks, as integrations' tests call them."""

from __future__ import annotations

from typing import Any

from port_ocean.core.handlers.webhook.abstract_webhook_processor import AbstractWebhookProcessor
from port_ocean.core.handlers.webhook.webhook_event import (
    EventHeaders,
    EventPayload,
    WebhookEvent,
    WebhookEventRawResults,
)


class Processor(AbstractWebhookProcessor):
    async def should_process_event(self, event: WebhookEvent) -> bool:
        return True

    async def get_matching_kinds(self, event: WebhookEvent) -> list[str]:
        return ["repository"]

    async def authenticate(self, payload: EventPayload, headers: EventHeaders) -> bool:
        return True

    async def validate_payload(self, payload: EventPayload) -> bool:
        return True

    async def handle_event(self, payload: EventPayload, resource: Any) -> WebhookEventRawResults:
        return WebhookEventRawResults(updated_raw_results=[], deleted_raw_results=[])


def test_validate_webhook_setup_is_a_plain_method_that_says_true() -> None:
    """The original's ``validate_webhook_setup`` is synchronous (``-> bool``), so a test
    reads its answer without awaiting it, and a subclass overrides it with a plain def."""
    processor = Processor(WebhookEvent(trace_id="t", payload={}, headers={}))

    assert processor.validate_webhook_setup() is True
