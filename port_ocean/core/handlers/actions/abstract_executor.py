"""``AbstractExecutor``: executes one kind of Port action run (``ACTION_NAME``, as in the
integration's spec), with the original's rate-limit and partition hooks."""

from __future__ import annotations

from abc import ABC, abstractmethod

from port_ocean._unsupported import missing
from port_ocean.core.handlers.webhook.abstract_webhook_processor import AbstractWebhookProcessor
from port_ocean.core.models import IntegrationRun


class AbstractExecutor(ABC):
    ACTION_NAME: str
    WEBHOOK_PROCESSOR_CLASS: type[AbstractWebhookProcessor] | None
    WEBHOOK_PATH: str

    async def _get_partition_key(self, run: IntegrationRun) -> str | None:
        """Runs with the same key run one after another; None: in parallel."""
        return None

    @abstractmethod
    async def is_close_to_rate_limit(self, run: IntegrationRun) -> bool:
        """Whether running now would come close to the third party's rate limit."""

    @abstractmethod
    async def get_remaining_seconds_until_rate_limit(self, run: IntegrationRun) -> float:
        """Seconds to wait before running (0: none)."""

    @abstractmethod
    async def execute(self, run: IntegrationRun) -> None:
        """Run the action (an exception reports the run as failed)."""


__all__ = ["AbstractExecutor"]
__getattr__ = missing(__name__)
