"""``port_ocean.core.handlers.queue``: the in-memory queues of the original's live-event
managers (``GroupQueue`` keeps one group's items in order and one at a time)."""

from __future__ import annotations

from port_ocean._unsupported import missing
from port_ocean.core.handlers.queue.abstract_queue import AbstractQueue
from port_ocean.core.handlers.queue.group_queue import GroupQueue
from port_ocean.core.handlers.queue.local_queue import LocalQueue

__all__ = ["AbstractQueue", "GroupQueue", "LocalQueue"]
__getattr__ = missing(__name__)
