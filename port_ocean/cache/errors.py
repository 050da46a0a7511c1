"""Failures to read or write a cache provider."""

from __future__ import annotations

from port_ocean._unsupported import missing


class CacheError(Exception):
    pass


class FailedToReadCacheError(CacheError):
    pass


class FailedToWriteCacheError(CacheError):
    pass


__all__ = ["CacheError", "FailedToReadCacheError", "FailedToWriteCacheError"]
__getattr__ = missing(__name__)
