"""``InMemoryCacheProvider``: values in a dict of this process (under ``"cache"`` of the
storage it is given, so several providers may share one)."""

from __future__ import annotations

from typing import Any, ClassVar

from port_ocean._unsupported import missing
from port_ocean.cache.base import CacheProvider, CachingStorageMode


class InMemoryCacheProvider(CacheProvider):
    CACHE_KEY = "cache"
    STORAGE_TYPE: ClassVar[CachingStorageMode] = CachingStorageMode.memory

    def __init__(self, caching_storage: dict[str, Any] | None = None) -> None:
        self._storage = caching_storage if caching_storage is not None else {}
        self._values: dict[str, Any] = self._storage.setdefault(self.CACHE_KEY, {})

    async def get(self, key: str) -> Any | None:
        return self._values.get(key)

    async def set(self, key: str, value: Any) -> None:
        self._values[key] = value

    async def clear(self) -> None:
        self._values.clear()


__all__ = ["InMemoryCacheProvider"]
__getattr__ = missing(__name__)
