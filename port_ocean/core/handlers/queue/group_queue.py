"""``GroupQueue``: items of one group are handed out in order and one at a time; groups
go on in parallel. An item's group is its ``group_key`` attribute (one group without).
A group whose item is not committed within ``lock_timeout`` seconds is handed out again."""

from __future__ import annotations

import asyncio
import contextvars
import logging
import time
from collections import deque
from typing import Any, TypeVar

from port_ocean._unsupported import missing
from port_ocean.core.handlers.queue.abstract_queue import AbstractQueue

T = TypeVar("T")
_log = logging.getLogger(__name__)
_NONE = object()
_handed: contextvars.ContextVar[Any] = contextvars.ContextVar("group_queue_handed", default=_NONE)
"""The group of the item this task was handed, for ``commit``."""


class GroupQueue(AbstractQueue[T]):
    def __init__(
        self, group_key: str | None = None, name: str | None = None, lock_timeout: float = 300
    ) -> None:
        super().__init__(name)
        self.group_key = group_key
        self.lock_timeout = lock_timeout
        self._groups: dict[Any, deque[T]] = {}
        self._busy: dict[Any, float] = {}
        """Groups whose first item is handed out, and since when (monotonic seconds)."""
        self._changed = asyncio.Condition()

    def _group_of(self, item: T) -> Any:
        if self.group_key is None:
            return None
        if not hasattr(item, self.group_key):
            raise ValueError(f"{item!r} has no attribute {self.group_key!r} to group it by")
        return getattr(item, self.group_key)

    async def put(self, item: T) -> None:
        async with self._changed:
            self._groups.setdefault(self._group_of(item), deque()).append(item)
            self._changed.notify_all()

    def _free_expired(self) -> None:
        now = time.monotonic()
        for group, since in list(self._busy.items()):
            if now - since > self.lock_timeout:
                _log.warning(
                    "group %r was not committed in %s s; handing it out again",
                    group,
                    self.lock_timeout,
                )
                del self._busy[group]

    async def get(self) -> T:
        async with self._changed:
            while (item := self._take()) is None:
                try:
                    await asyncio.wait_for(self._changed.wait(), self.lock_timeout / 4)
                except TimeoutError:
                    pass
            return item[0]

    def _take(self) -> tuple[T] | None:
        """The first item of a group not handed out (marking the group busy), if any."""
        self._free_expired()
        for group, items in self._groups.items():
            if items and group not in self._busy:
                self._busy[group] = time.monotonic()
                _handed.set(group)
                return (items[0],)
        return None

    async def commit(self) -> None:
        group = _handed.get()
        if group is _NONE:
            _log.warning("commit() without an item handed out by get()")
            return
        async with self._changed:
            items = self._groups.get(group)
            if items:
                items.popleft()
                if not items:
                    del self._groups[group]
            self._busy.pop(group, None)
            _handed.set(_NONE)
            self._changed.notify_all()

    async def size(self) -> int:
        async with self._changed:
            return sum(len(items) for items in self._groups.values())

    async def teardown(self) -> None:
        async with self._changed:
            while self._groups or self._busy:
                await self._changed.wait()

    async def force_unlock_all(self) -> None:
        async with self._changed:
            self._busy.clear()
            self._changed.notify_all()


__all__ = ["GroupQueue"]
__getattr__ = missing(__name__)
