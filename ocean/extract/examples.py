"""A kind's first raw items, given to the catalog for its mapping editor.

Port's UI tests a mapping against example raw data of each kind; the original sends the
first :data:`EXAMPLES` items a resource's handlers return (before ``itemsToParse``
expands them) with every resync, unless ``send_raw_data_examples`` is false. Ocean does
the same against a catalog that takes them (:class:`TakesKindExamples`: a Port API), with
the items masked (:mod:`ocean.monitor.secret_shapes`). They go in the background as soon
as there are enough (or the kind's extraction ends with fewer), and a failure is a warning:
examples never fail a kind.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any, Protocol, runtime_checkable

from ocean.monitor.secret_shapes import mask_secrets
from ocean.store.base import Store
from ocean.types import RawBatch

EXAMPLES = 5
"""Raw items sent per resource and resync, as the original's ``SEND_RAW_DATA_EXAMPLES_AMOUNT``."""
_log = logging.getLogger(__name__)


@runtime_checkable
class TakesKindExamples(Protocol):
    """A catalog that shows example raw data per kind (Port's mapping editor)."""

    async def kind_examples(self, integration: str, kind: str, examples: list[Any]) -> None: ...


class KindExamples:
    """Collects a kind's first raw items and sends them once (:meth:`offer`, :meth:`close`)."""

    def __init__(self, store: TakesKindExamples, integration: str, kind: str) -> None:
        self.store, self.integration, self.kind = store, integration, kind
        self.items: list[Any] = []
        self.sending: asyncio.Task[None] | None = None

    def offer(self, batch: RawBatch) -> None:
        """Keep the batch's first items while fewer than :data:`EXAMPLES` are kept; send
        them once there are enough."""
        if self.sending is not None:
            return
        self.items += batch[: EXAMPLES - len(self.items)]
        if len(self.items) >= EXAMPLES:
            self.sending = asyncio.create_task(self._send())

    async def close(self) -> None:
        """Send what was kept if it was not sent yet, and wait for the sending to end (or
        stop it, when the kind itself is being cancelled)."""
        task = asyncio.current_task()
        if task is not None and task.cancelling():
            if self.sending is not None:
                self.sending.cancel()
            return
        if self.sending is None and self.items:
            self.sending = asyncio.create_task(self._send())
        if self.sending is not None:
            await self.sending

    async def _send(self) -> None:
        try:
            await self.store.kind_examples(self.integration, self.kind, mask_secrets(self.items))
        except Exception as error:  # examples are a courtesy to the mapping editor
            _log.warning(
                "kind %r: its example raw items were not sent to the catalog's mapping editor "
                "(%s); the resync goes on. Set OCEAN__SEND_RAW_DATA_EXAMPLES=false not to send "
                "them",
                self.kind,
                error,
            )


def kind_examples(store: Store, integration: str, kind: str, wanted: bool) -> KindExamples | None:
    """A collector for ``kind``'s examples, if they are ``wanted`` and ``store`` takes them."""
    if not wanted or not isinstance(store, TakesKindExamples):
        return None
    return KindExamples(store, integration, kind)
