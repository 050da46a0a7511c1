"""``CacheProvider``: get, set and clear cached values by key."""

from __future__ import annotations

import enum
from abc import ABC, abstractmethod
from typing import Any, ClassVar

from port_ocean._unsupported import missing


class CachingStorageMode(enum.StrEnum):
    """Where a provider keeps values (also ``port_ocean.core.models.CachingStorageMode``)."""

    disk = "disk"
    memory = "memory"


class CacheProvider(ABC):
    STORAGE_TYPE: ClassVar[CachingStorageMode]

    @abstractmethod
    async def get(self, key: str) -> Any | None:
        """The value kept for ``key``, or None."""

    @abstractmethod
    async def set(self, key: str, value: Any) -> None:
        """Keep ``value`` for ``key``."""

    @abstractmethod
    async def clear(self) -> None:
        """Forget every value."""


__all__ = ["CacheProvider", "CachingStorageMode"]
__getattr__ = missing(__name__)
