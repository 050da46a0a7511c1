"""``BaseConfigChangeWebhookProcessor``: a live-event processor that reacts to a change of
the integration's configuration by asking for a full resync (``trigger_resync``). It is an
ACTION processor: tied to no kind of the mapping."""

from __future__ import annotations

from port_ocean._unsupported import missing
from port_ocean.context.ocean import ocean
from port_ocean.core.handlers.webhook.abstract_webhook_processor import (
    AbstractWebhookProcessor,
    WebhookProcessorType,
)


class BaseConfigChangeWebhookProcessor(AbstractWebhookProcessor):
    @classmethod
    def get_processor_type(cls) -> WebhookProcessorType:
        return WebhookProcessorType.ACTION

    async def trigger_resync(self) -> None:
        """Ask for a full resync (``ocean.sync_raw_all()``)."""
        await ocean.sync_raw_all()


__all__ = ["BaseConfigChangeWebhookProcessor"]
__getattr__ = missing(__name__)
