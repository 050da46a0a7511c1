"""``AbstractQueue``: what a live-event queue offers (put, get, commit, size, teardown)."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Generic, TypeVar

from port_ocean._unsupported import missing

T = TypeVar("T")


class AbstractQueue(ABC, Generic[T]):
    def __init__(self, name: str | None = None) -> None:
        self.name = name

    @abstractmethod
    async def put(self, item: T) -> None:
        """Add ``item``."""

    @abstractmethod
    async def get(self) -> T:
        """The next item (waits for one)."""

    @abstractmethod
    async def commit(self) -> None:
        """The item ``get`` handed out is done."""

    @abstractmethod
    async def size(self) -> int:
        """Items waiting."""

    @abstractmethod
    async def teardown(self) -> None:
        """Wait until every item is done."""


__all__ = ["AbstractQueue"]
__getattr__ = missing(__name__)
